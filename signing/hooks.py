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
    """``flask labels print --batch ID``: the batch's (URL, label text) items, computed on demand."""
    from flask import current_app

    from labels.services import items_from_batch
    from registry.db import get_session
    from registry.models import Product
    from signing import services
    from signing.models import SerialBatch

    session = get_session()
    batch = session.get(SerialBatch, int(batch_id))
    if batch is None:
        raise services.BatchError(f"no batch {batch_id}", field="batch", status_code=404)
    product = session.get(Product, batch.product_id)
    assert product is not None
    ext: services.SigningExtension = current_app.extensions["signing"]
    ext.ready()
    urls = services.iter_batch_urls(
        batch, ext.signer(session), ext.settings.public_host, scheme=ext.settings.public_scheme
    )
    items = items_from_batch(
        ((url, serial) for url, serial in urls), batch.gtin, product.name_en, product.name_bn, batch.prefix
    )
    return items, batch.count


def register_label_batches() -> None:
    try:
        from labels.cli import register_batch_loader
    except ImportError:
        return
    register_batch_loader(load_batch_labels)
