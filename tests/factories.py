"""Test factories and helpers: the registry's factories plus ready-made actors with API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.models import Role, User
from registry.accounts import issue_token
from registry.brands import add_keys
from registry.factories import (  # noqa: F401 - re-exported for tests
    BRANDS,
    CertificateFactory,
    ManufacturerFactory,
    ProductFactory,
    UserFactory,
    licensed,
)
from registry.models import Brand, BrandStatus, Manufacturer


@dataclass
class Party:
    user: User
    token: str
    manufacturer: Manufacturer | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_party(
    session: Any,
    role: str = Role.MANUFACTURER,
    *,
    status: str = "verified",
    brand: str | None = None,
    **maker: Any,
) -> Party:
    """An account with an API token; a manufacturer's comes with its company, and with ``brand`` a
    registered brand of that name (products must carry one)."""
    manufacturer = None
    if role == Role.MANUFACTURER:
        manufacturer = ManufacturerFactory(status=status, **maker)
        user = UserFactory(role=role, manufacturer_id=manufacturer.id, is_owner=True)
        if brand:
            own_brand(session, manufacturer, brand)
    else:
        user = UserFactory(role=role, is_owner=False)
    _, token = issue_token(session, user, "test", None, 30)
    session.flush()
    return Party(user, token, manufacturer)


# what a recall must say (signing.recalls.RecallText): the reason and what to do, in both languages, and whom to call
RECALL_WORDS = {
    "reason_en": "The charger can overheat.",
    "reason_bn": "চার্জার অতিরিক্ত গরম হতে পারে।",
    "instructions_en": "Stop using it and return it to the shop for a free replacement.",
    "instructions_bn": "ব্যবহার বন্ধ করুন এবং বিনামূল্যে বদলের জন্য দোকানে ফেরত দিন।",
    "contact": "16xxx (toll-free), recall@example.com.bd",
}


def own_brand(session: Any, manufacturer: Manufacturer, name_en: str, name_bn: str | None = None) -> Brand:
    """A registered brand of ``manufacturer`` (as if registered without conflicts), so its products may
    carry it; the Bangla spelling defaults to a transliteration-free placeholder of the right script."""
    brand = Brand(
        name_en=name_en,
        name_bn=name_bn or dict(BRANDS).get(name_en, "ব্র্যান্ড " + name_en.lower()),
        owner_id=manufacturer.id,
        status=BrandStatus.REGISTERED,
        conflicts=[],
    )
    add_keys(session, brand)
    session.add(brand)
    session.flush()
    return brand
