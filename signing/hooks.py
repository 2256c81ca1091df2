"""Where signing plugs into other packages: the registry's licence-changed signal and the labels printer's
batch loader.  Called from ``signing.init_app``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

log = logging.getLogger("registry.signing")


def sign_on_licence_change(product: Any, *, session: Any, action: str, **_: Any) -> None:
    """A licence was granted or changed: sign a new authenticity record and republish the status list,
    inside the same transaction as the change (nothing is half-written)."""
    from flask import current_app, has_app_context

    from signing import services

    if not has_app_context() or "signing" not in current_app.extensions:
        return
    ext: services.SigningExtension = current_app.extensions["signing"]
    moment = datetime.now(UTC)
    signer = ext.signer(session)
    services.sign_product_record(session, signer, ext.settings, product, action, now=moment)
    # The status list covers every licence, so publish it once per transaction, just before commit,
    # not once per change: seeding or a bulk decision would otherwise rebuild it N times.
    if not session.info.get("signing.status_list_pending"):
        session.info["signing.status_list_pending"] = True

        def _publish(sess: Any) -> None:
            if sess.info.pop("signing.status_list_pending", None):
                services.publish_status_list(sess, signer, ext.settings, now=datetime.now(UTC))

        event.listen(session, "before_commit", _publish, once=True)


def load_batch_labels(batch_id: str) -> tuple[Iterator[Any], int | None]:
    """``flask labels print --batch ID``: the batch's (URL, label text) items, computed on demand.

    The issuing key is made ready first, in its own transaction, and the batch is read and detached in
    a second that ends before rendering: on SQLite a command's session takes the write lock (BEGIN
    IMMEDIATE) at its first query, and the key's session would then wait for it forever ("database
    is locked"), as would anything else writing while thousands of labels render.
    """
    from flask import current_app

    from core.db import get_session
    from labels.views import batch_items, snapshot_batch
    from registry.models import Product
    from signing import services
    from signing.models import SerialBatch

    if not batch_id.isdecimal():
        raise services.BatchError(
            f"no batch {batch_id}: batch ids are numbers", field="batch", status_code=404
        )
    ext: services.SigningExtension = current_app.extensions["signing"]
    ext.ready()
    session = get_session()
    batch = session.get(SerialBatch, int(batch_id))
    if batch is None:
        session.rollback()
        raise services.BatchError(f"no batch {batch_id}", field="batch", status_code=404)
    product = session.get(Product, batch.product_id)
    assert product is not None
    source = snapshot_batch(batch, product)  # reads the signer, detaches the batch, commits
    return batch_items(source, 0, batch.count)


def register_label_batches() -> None:
    try:
        from labels.cli import register_batch_loader
    except ImportError:
        return
    register_batch_loader(load_batch_labels)
