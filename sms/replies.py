"""The reply to a check by SMS: one message, the verdict first, in the language of the message.

English replies are GSM-7 within 160 characters, Bangla replies UCS-2 within 70 (``sms.encoding``).  The words
come from the message catalogue (``translations/``); the product's name and the recall's contact are
shortened (or left out) until the reply fits, the verdict never is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from signing.checkcodes import format_code
from sms.encoding import GSM7_LIMIT, UCS2_LIMIT, gsm7_length, to_gsm7, ucs2_length

__all__ = ["Reply", "compose_reply", "reply_kind"]

BANGLA_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


@dataclass(frozen=True)
class Reply:
    text: str
    language: str
    kind: str  # a verdict, "copies" (genuine, but the label looks copied), "typo", "help" or "limited"

    @property
    def encoding(self) -> str:
        return "ucs2" if self.language == "bn" else "gsm7"

    @property
    def length(self) -> int:
        return ucs2_length(self.text) if self.language == "bn" else gsm7_length(self.text)


def templates() -> dict[str, str]:
    """Each reply kind's words in the current locale; ``{name}`` ``{code}`` ``{date}`` ``{contact}``
    ``{minutes}`` are filled in.  Bangla translations must leave room for a name within 70 characters."""
    return {
        "genuine": _("MIB GENUINE: {name}. Licence valid to {date}. Code {code}."),
        "copies": _(
            "MIB WARNING: code {code} ({name}) is real but was checked from many phones: this label may be "
            "copied. Buy only from trusted sellers."
        ),
        "recalled": _("MIB RECALLED: {name} has been recalled by its maker. Stop using it. {contact}"),
        "suspended": _("MIB SUSPENDED: the brand licence of {name} is suspended. Do not rely on this label."),
        "revoked": _("MIB REVOKED: the brand licence of {name} has been revoked. It is not certified."),
        "expired": _("MIB EXPIRED: the brand licence of {name} ended on {date}."),
        "not_genuine": _(
            "MIB NOT GENUINE: code {code} was never issued. The product may be fake: do not buy it."
        ),
        "unknown": _("MIB UNKNOWN: code {code} belongs to no licensed product. Do not rely on it."),
        "typo": _(
            "MIB: code {code} has a typing mistake. Check the 12 characters under the QR and send again."
        ),
        "help": _(
            "MIB check: send MIB and the 12-character code printed under the QR, e.g. MIB 7K3Q-9F2M-ABC5"
        ),
        "limited": _("MIB: too many checks from this number. Try again in {minutes} minutes."),
    }


def reply_kind(body: dict[str, Any]) -> str:
    """The reply's kind from a verdict's JSON (``signing.verification.outcome_to_dict``)."""
    verdict = body.get("verdict", "unknown")
    if verdict == "genuine" and body.get("clone_warning"):
        return "copies"
    if verdict == "untrusted_key":
        return "not_genuine"
    return str(verdict)


def _fit(template: str, values: dict[str, str], shorten: tuple[str, ...], measure: Any, limit: int) -> str:
    """``template`` filled with ``values``; the values named in ``shorten`` are cut (in that order, with an
    ellipsis, down to nothing) until the text fits ``limit``."""
    values = dict(values)
    text = template.format(**values)
    for name in shorten:
        while measure(text) > limit and values.get(name):
            value = values[name].rstrip(".…")
            cut = value[: max(0, len(value) - max(1, measure(text) - limit))].rstrip()
            values[name] = cut + ("…" if measure is ucs2_length else "...") if cut else ""
            text = template.format(**values)
    return " ".join(text.split())


def compose_reply(
    kind: str,
    language: str,
    *,
    body: dict[str, Any] | None = None,
    code: str = "",
    minutes: int = 0,
) -> Reply:
    """The reply of ``kind`` in ``language`` ("bn" or "en"); ``body`` is the verdict's JSON, ``code`` the code
    as read (normalised, or as typed for a typo)."""
    language = "bn" if language == "bn" else "en"
    body = body or {}
    product = body.get("product") or {}
    licence = body.get("licence") or {}
    recall = body.get("recall") or {}
    shown_code = format_code(code[:12]) if code else ""
    date = str(licence.get("valid_until") or "")
    if language == "bn":
        values = {
            "name": str(product.get("name_bn") or product.get("name_en") or ""),
            "code": shown_code,
            "date": date.translate(BANGLA_DIGITS),
            "contact": str(recall.get("contact") or ""),
            "minutes": str(minutes).translate(BANGLA_DIGITS),
        }
        measure, limit = ucs2_length, UCS2_LIMIT
    else:
        values = {
            "name": to_gsm7(str(product.get("name_en") or "")),
            "code": shown_code,
            "date": date,
            "contact": to_gsm7(str(recall.get("contact") or "")),
            "minutes": str(minutes),
        }
        measure, limit = gsm7_length, GSM7_LIMIT
    with force_locale(language):
        template = templates().get(kind) or templates()["unknown"]
    text = _fit(template, values, ("contact", "name"), measure, limit)
    return Reply(text, language, kind)
