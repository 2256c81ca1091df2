"""The words of the one-stop notices (``registry.notices``): the portal shows each in the page's language, the
e-mail goes out in the company's chosen language through the mail outbox (``web.accounts.deliver_mail``)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from config import settings_of
from web.accounts import deliver_mail
from web.helpers import format_day, to_local_digits


def _name(params: dict[str, Any], lang: str) -> str:
    first, second = ("name_bn", "name_en") if lang == "bn" else ("name_en", "name_bn")
    return str(params.get(first) or params.get(second) or "")


def notice_text(kind: str, params: dict[str, Any], lang: str) -> tuple[str, str]:
    """(title, body) of a notice in the current locale (``lang`` picks the company's or product's name)."""
    name = _name(params, lang)
    reason = params.get("reason") or ""
    until = format_day(params.get("valid_until"))
    licence = params.get("licence_number") or ""
    days = to_local_digits(str(params.get("days", "")))
    texts: dict[str, tuple[str, str]] = {
        "manufacturer.verify": (
            _("Your company is verified"),
            _("%(name)s is verified: you can now register products and apply for their licences.", name=name),
        ),
        "manufacturer.reject": (
            _("Your company's registration was rejected"),
            _(
                "The reviewer's reason: %(reason)s. Correct the company profile and it returns to the review queue.",
                reason=reason,
            ),
        ),
        "manufacturer.suspend": (
            _("Your company is suspended"),
            _(
                "The reviewer's reason: %(reason)s. Your products' labels verify as suspended until the company "
                "is reinstated.",
                reason=reason,
            ),
        ),
        "manufacturer.reinstate": (
            _("Your company is reinstated"),
            _("%(name)s is verified again.", name=name),
        ),
        "product.approve": (
            _("Licence granted: %(name)s", name=name),
            _(
                "Licence %(licence)s is valid until %(until)s. You can now issue serial numbers and print labels.",
                licence=licence,
                until=until,
            ),
        ),
        "product.reject": (
            _("Licence refused: %(name)s", name=name),
            _("The reviewer's reason: %(reason)s. Edit the product and submit it again.", reason=reason),
        ),
        "product.suspend": (
            _("Licence suspended: %(name)s", name=name),
            _(
                "The reviewer's reason: %(reason)s. Its labels verify as suspended until it is reinstated.",
                reason=reason,
            ),
        ),
        "product.reinstate": (
            _("Licence reinstated: %(name)s", name=name),
            _("Licence %(licence)s is valid again until %(until)s.", licence=licence, until=until),
        ),
        "product.revoke": (
            _("Licence revoked: %(name)s", name=name),
            _("The reviewer's reason: %(reason)s. A revoked licence cannot be restored.", reason=reason),
        ),
        "recall": (
            _("Recall published: %(name)s", name=name),
            _(
                "Consumers who scan the recalled labels now read: %(reason)s",
                reason=params.get("reason_bn" if lang == "bn" else "reason_en") or "",
            ),
        ),
        "expiring.licence": (
            _("Licence ends in %(days)s days: %(name)s", days=days, name=name),
            _(
                "Licence %(licence)s is valid until %(until)s. Apply again in time so its labels keep verifying.",
                licence=licence,
                until=until,
            ),
        ),
        "expiring.certificate": (
            _(
                "Certificate ends in %(days)s days: %(scheme)s %(number)s",
                days=days,
                scheme=params.get("scheme", ""),
                number=params.get("number", ""),
            ),
            _(
                "The certificate is valid until %(until)s. Add its renewal so that products which require it "
                "can keep their licences.",
                until=until,
            ),
        ),
    }
    return texts.get(kind, (kind, ""))


def mail_notice(message: dict[str, Any]) -> None:
    """Render one notice in the company's language and write it to the mail outbox."""

    lang = message["language"] if message["language"] in ("bn", "en") else "bn"
    if not message["to"]:
        return
    with force_locale(lang):
        title, body = notice_text(message["kind"], message["params"], lang)
        portal = settings_of(current_app).public_url() + "/portal/notices"
        text = f"{title}\n\n{body}\n\n{portal}\n"  # also from the daily command, outside any request
    deliver_mail(", ".join(message["to"]), title, text)
