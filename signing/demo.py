"""Demo labels for ``make run``: a signed batch per demo product, one recalled unit, written to a file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Product, ProductStatus
from signing.batches import create_batch, iter_batch_urls
from signing.keys import (
    Signer,
)
from signing.models import (
    Recall,
    SerialBatch,
)
from signing.recalls import (
    RecallText,
    recall_batch,
)
from signing.settings import SigningSettings

DEMO_RECALL = RecallText(
    reason_en="The charger supplied with this batch can overheat.",
    reason_bn="এই ব্যাচের সঙ্গে দেওয়া চার্জার অতিরিক্ত গরম হতে পারে।",
    instructions_en="Stop using the charger and take it to the shop where you bought it for a free replacement.",
    instructions_bn="চার্জারটি ব্যবহার বন্ধ করুন এবং বিনামূল্যে বদলে নিতে যে দোকান থেকে কিনেছেন সেখানে নিয়ে যান।",
    contact="16xxx (toll-free) · recall@example.com.bd",
)


def issue_demo_labels(
    session: Session,
    signer: Signer,
    settings: SigningSettings,
    *,
    now: datetime,
    products: int = 3,
    units: int = 3,
) -> list[tuple[str, str]]:
    """(expected verdict, label URL) pairs for the demo: genuine, suspended, revoked and expired products'
    labels, a recalled batch, a tampered copy (not_genuine) and a product address (unknown)."""
    lines: list[tuple[str, str]] = []
    host = settings.public_host
    for state, verdict in (
        (ProductStatus.LICENSED, "genuine"),
        (ProductStatus.SUSPENDED, "suspended"),
        (ProductStatus.REVOKED, "revoked"),
        (ProductStatus.EXPIRED, "expired"),
    ):
        chosen = [
            p
            for p in session.scalars(
                select(Product)
                .where(Product.licence_valid_from.is_not(None), Product.status.in_([state.value, "licensed"]))
                .order_by(Product.id)
                .limit(200)
            )
            if p.licence_state(now.date()) == state
        ][:products]
        for product in chosen:
            batch = session.scalar(select(SerialBatch).where(SerialBatch.product_id == product.id).limit(1))
            if batch is None:
                batch = create_batch(session, product, 1000, user_id=None, now=now, require_licensed=False)
            for url, _serial in iter_batch_urls(
                batch, signer, host, stop=units, scheme=settings.public_scheme
            ):
                lines.append((verdict, url))
    recalled = next(
        (
            p
            for p in session.scalars(
                select(Product)
                .where(Product.status == ProductStatus.LICENSED.value)
                .order_by(Product.id.desc())
            )
            if p.licence_state(now.date()) == ProductStatus.LICENSED
        ),
        None,
    )
    if recalled is not None and not any(recalled.gtin in url for _, url in lines):
        batch = session.scalar(select(SerialBatch).where(SerialBatch.product_id == recalled.id).limit(1))
        if batch is None:
            batch = create_batch(session, recalled, 1000, user_id=None, now=now)
        if session.scalar(select(Recall.id).where(Recall.batch_id == batch.id).limit(1)) is None:
            recall_batch(session, batch, DEMO_RECALL, now=now, user_id=None)
        for url, _serial in iter_batch_urls(batch, signer, host, stop=units, scheme=settings.public_scheme):
            lines.append(("recalled", url))
    genuine = next((url for verdict, url in lines if verdict == "genuine"), None)
    if genuine is not None:
        base, _, parameter = genuine.partition("?s=")
        tampered = base[:-1] + ("A" if base[-1] != "A" else "B") + "?s=" + parameter
        lines.append(("not_genuine", tampered))
        lines.append(("unknown", base.split("/21/")[0]))
    return lines
