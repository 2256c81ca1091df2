"""What a person reads about a tender check, in the current locale (the message catalogue covers this file):
verdicts, reasons, licence states. The page and the PDF (both languages, one after the other) use these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from web.accounts import deliver_mail


def verdict_text(verdict: str) -> str:
    return {
        "compliant": _("Compliant"),
        "not_compliant": _("Not compliant"),
        "ambiguous": _("Ambiguous: several products match"),
        "no_match": _("Not registered"),
    }.get(verdict, verdict)


def method_text(method: str | None) -> str:
    return {
        "gtin": _("matched by GTIN"),
        "licence_number": _("matched by licence number"),
        "brand_model": _("matched by brand and model"),
    }.get(method or "", "")


def licence_text(state: str | None) -> str:
    return {
        "valid": _("licence valid on the bid date"),
        "not_yet_valid": _("licence not yet valid on the bid date"),
        "expired": _("licence expired on the bid date"),
        "suspended": _("licence suspended on the bid date"),
        "revoked": _("licence revoked on the bid date"),
        "not_licensed": _("not licensed on the bid date"),
    }.get(state or "", "")


def status_now_text(status: str) -> str:
    return {
        "licensed": _("licensed"),
        "suspended": _("suspended"),
        "revoked": _("revoked"),
        "expired": _("expired"),
    }.get(status, status)


def reason_text(reason: dict[str, Any]) -> str:
    code = reason.get("code", "")
    texts: dict[str, Callable[[], str]] = {
        "no_match": lambda: _("No registered product has this GTIN, licence number, or brand and model."),
        "ambiguous": lambda: _(
            "%(n)s products have this brand and model: give the GTIN.", n=reason.get("candidates")
        ),
        "identifiers_disagree": lambda: _(
            "The line's identifiers name different products (also GTIN %(gtin)s).",
            gtin=reason.get("other_gtin"),
        ),
        "licence_not_yet_valid": lambda: _(
            "The licence is valid only from %(day)s.", day=reason.get("valid_from")
        ),
        "licence_expired": lambda: _("The licence ended on %(day)s.", day=reason.get("valid_until")),
        "licence_suspended": lambda: _("The licence was suspended on the bid date."),
        "licence_revoked": lambda: _("The licence was revoked by the bid date."),
        "not_licensed": lambda: _("The product was not licensed on the bid date."),
        "certificate_missing": lambda: _(
            "No %(scheme)s certificate is linked to the product.", scheme=reason.get("scheme")
        ),
        "certificate_not_valid": lambda: _(
            "No %(scheme)s certificate of the product is valid on the bid date.", scheme=reason.get("scheme")
        ),
        "lva_below_minimum": lambda: _(
            "Local value addition %(lva)s%% is below the tender's minimum of %(min)s%%.",
            lva=reason.get("lva"),
            min=reason.get("minimum"),
        ),
        "category_not_allowed": lambda: _(
            "Its category (%(category)s) is not one the tender asks for.", category=reason.get("category")
        ),
    }
    text = texts.get(code)
    return text() if text else str(code)


def pdf_words() -> dict[str, str]:
    return {
        "title": _("Compliance statement"),
        "as_of": _("As of %(bid_date)s, checked at %(checked_at)s"),
        "reference": _("Tender reference"),
        "issued_by": _("Issued by"),
        "rules": _("Rules"),
        "min_lva": _("Minimum local value addition"),
        "schemes": _("Required certificates"),
        "categories": _("Categories"),
        "none": _("none"),
        "line": _("Line"),
        "product": _("Product"),
        "quantity": _("Quantity"),
        "verdict": _("Verdict"),
        "reasons": _("Reasons"),
        "summary": _("%(compliant)s of %(lines)s lines compliant"),
        "scan": _("Scan for the live status; the QR code also proves this statement offline."),
        "later": _(
            "Later changes to a listed product's licence do not change what was true on the bid date."
        ),
    }


def in_both(make: Callable[[], Any]) -> tuple[Any, Any]:
    """(English, Bangla) of what ``make`` returns."""
    with force_locale("en"):
        english = make()
    with force_locale("bn"):
        bangla = make()
    return english, bangla


def update_text(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of a shortlist update (feed entry or e-mail) in the current locale."""
    name = params.get("name_bn" if str(get_locale()) == "bn" else "name_en") or ""
    texts: dict[str, Callable[[], tuple[str, str]]] = {
        "licence.approve": lambda: (_("Licence granted: %(name)s", name=name), ""),
        "licence.suspend": lambda: (
            _("Licence suspended: %(name)s", name=name),
            _(
                "The registry suspended the licence of this product on your shortlist “%(list)s”.",
                list=params.get("shortlist", ""),
            ),
        ),
        "licence.reinstate": lambda: (
            _("Licence reinstated: %(name)s", name=name),
            _(
                "The licence of this product on your shortlist “%(list)s” is valid again.",
                list=params.get("shortlist", ""),
            ),
        ),
        "licence.revoke": lambda: (
            _("Licence revoked: %(name)s", name=name),
            _(
                "The registry revoked the licence of this product on your shortlist “%(list)s”.",
                list=params.get("shortlist", ""),
            ),
        ),
        "licence.expire": lambda: (
            _("Licence expired: %(name)s", name=name),
            _(
                "The licence of this product on your shortlist “%(list)s” has ended.",
                list=params.get("shortlist", ""),
            ),
        ),
        "certificate.ended": lambda: (
            _(
                "Certificate ended: %(scheme)s %(number)s",
                scheme=params.get("scheme", ""),
                number=params.get("number", ""),
            ),
            _("The certificate of %(name)s ended on %(day)s.", name=name, day=params.get("valid_until", "")),
        ),
    }
    make = texts.get(kind)
    return make() if make else (kind, "")


def mail_update(message: dict[str, Any]) -> None:
    """Write one shortlist update to the mail outbox: English, then Bangla (an officer's account has no
    language of its own)."""
    params = message["params"]
    (title_en, body_en), (title_bn, body_bn) = in_both(lambda: update_text(message["kind"], params))
    lines = [f"GTIN {params.get('gtin', '')} · {params.get('licence_number') or ''}"]
    if params.get("reason"):
        lines.append(str(params["reason"]))
    text = "\n".join([title_en, body_en, *lines, "", title_bn, body_bn, *lines])
    deliver_mail(message["to"], f"{title_en} / {title_bn}", text)
