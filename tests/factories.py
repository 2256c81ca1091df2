"""Test factories and helpers: the registry's factories plus ready-made actors with API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.models import Role, User
from registry.accounts import issue_token
from registry.factories import (  # noqa: F401 - re-exported for tests
    CertificateFactory,
    ManufacturerFactory,
    ProductFactory,
    UserFactory,
    licensed,
)
from registry.models import Manufacturer


@dataclass
class Party:
    user: User
    token: str
    manufacturer: Manufacturer | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_party(
    session: Any, role: str = Role.MANUFACTURER, *, status: str = "verified", **maker: Any
) -> Party:
    manufacturer = None
    if role == Role.MANUFACTURER:
        manufacturer = ManufacturerFactory(status=status, **maker)
        user = UserFactory(role=role, manufacturer_id=manufacturer.id, is_owner=True)
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
