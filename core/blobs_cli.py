"""``flask blobs``: move files kept on one host's disk (or in old columns) into the shared blob store.

Each package registers what it has to move with ``register_importer(app, Importer(...))``; ``flask blobs
import-files`` runs them all with a progress bar. An importer lists only what is not in the store yet, so
the command is idempotent and, after an interruption, resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

IMPORTERS = "blobs.importers"  # app.extensions key

blobs_cli = AppGroup("blobs", help="The shared blob store (evidence, report photos, label outputs).")


@dataclass(frozen=True)
class Importer:
    """``pending()`` lists what still has to move; ``move(item)`` moves one and returns its size in bytes, or
    None when it leaves the item where it is (and logs why)."""

    name: str
    pending: Callable[[], list[Any]]
    move: Callable[[Any], int | None]


def register_importer(app: Any, importer: Importer) -> None:
    app.extensions.setdefault(IMPORTERS, []).append(importer)


@blobs_cli.command("import-files")
def import_files_command() -> None:
    """Move every file still outside the blob store into it (safe to run again; resumes)."""
    for importer in current_app.extensions.get(IMPORTERS, []):
        items = importer.pending()
        moved = total = 0
        with click.progressbar(items, label=f"{importer.name}: {len(items)} to move") as bar:
            for item in bar:
                size = importer.move(item)
                if size is not None:
                    moved, total = moved + 1, total + size
        left = f", {len(items) - moved} left in place (see the log)" if moved < len(items) else ""
        click.echo(f"{importer.name}: moved {moved} ({total / 1e6:.1f} MB){left}")
