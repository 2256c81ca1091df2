"""Where signing plugs into the registry: its licence-changed signal. Connected by ``signing.init_app``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event

from signing import record_service
from signing.extension import SigningExtension

log = logging.getLogger("registry.signing")


def sign_on_licence_change(product: Any, *, session: Any, action: str, **_: Any) -> None:
    """A licence was granted or changed: sign a new authenticity record and republish the status list,
    inside the same transaction as the change (nothing is half-written)."""
    if not has_app_context() or "signing" not in current_app.extensions:
        return
    ext: SigningExtension = current_app.extensions["signing"]
    moment = datetime.now(UTC)
    signer = ext.signer(session)
    record_service.sign_product_record(session, signer, ext.settings, product, action, now=moment)
    # The status list covers every licence, so publish it once per transaction, just before commit,
    # not once per change: seeding or a bulk decision would otherwise rebuild it N times.
    if not session.info.get("signing.status_list_pending"):
        session.info["signing.status_list_pending"] = True

        def _publish(sess: Any) -> None:
            if sess.info.pop("signing.status_list_pending", None):
                record_service.publish_status_list(sess, signer, ext.settings, now=datetime.now(UTC))

        event.listen(session, "before_commit", _publish, once=True)
