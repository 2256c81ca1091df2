"""The first run's demo data: realistic, bilingual, complete, and seeded only once."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import User
from registry.data.taxonomy import CATEGORIES
from registry.demo import seed_demo
from registry.models import Certificate, Manufacturer, Product


def test_demo_seed_covers_what_a_new_user_needs(session):
    result = seed_demo(session, manufacturers=55, products=400)
    session.flush()
    assert result["seeded"] and result["manufacturers"] == 55 and result["districts"] >= 20
    assert session.scalar(select(func.count(func.distinct(Manufacturer.district)))) >= 20
    categories = set(session.scalars(select(Product.category).distinct()))
    assert categories == set(CATEGORIES)
    statuses = set(session.scalars(select(Product.status).distinct()))
    assert {"licensed", "suspended", "revoked", "submitted"} <= statuses
    names = session.execute(select(Product.name_en, Product.name_bn).limit(20)).all()
    assert all(en.isascii() for en, _ in names) and all(
        any("\u0980" <= ch <= "\u09ff" for ch in bn) for _, bn in names
    )
    assert session.scalar(select(func.count()).select_from(Certificate)) >= 55 * 3
    roles = set(
        session.scalars(
            select(User.role).where(User.email.in_(["admin@registry.demo", "reviewer@registry.demo"]))
        )
    )
    assert roles == {"admin", "reviewer"}
    # a second run changes nothing
    assert seed_demo(session) == {"seeded": False}


def test_seed_command_is_idempotent(runner, app, session, monkeypatch):
    from registry import demo

    calls = []
    real = demo.seed_demo
    monkeypatch.setattr(
        demo,
        "seed_demo",
        lambda s, **kw: calls.append(kw) or real(s, **(kw | {"products": 50, "manufacturers": 50})),
    )
    first = runner.invoke(args=["registry", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@registry.demo" in first.output and "reviewer@registry.demo" in first.output
    second = runner.invoke(args=["registry", "seed-demo"])
    assert "already seeded" in second.output
    assert len(calls) == 1
