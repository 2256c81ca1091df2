"""Stable error codes and the one table code → message (English msgid; Bangla in the catalogue).

Every problem+json answer carries a top-level ``code`` and a ``code`` on each entry of ``errors``; the code is
named where the error is raised (a ``ProblemError`` subclass's ``code``, ``code=`` on a raise, or ``coded(...)``
in a validator, which pydantic reports under that code).  The API keeps its English ``detail``/``reason``
written at the raise site; pages show ``MESSAGES[code]`` in the reader's language with the error's ``params``.

A ``lead`` message names a class of error rather than one reason: a page shows it before the raise site's own
English words (nothing is hidden while a reason has no sentence of its own).  ``tests/core/test_error_codes.py``
checks that every code raised anywhere is in the table and that each has its Bangla sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError


def N_(message: str) -> str:  # noqa: N802 - the usual name: marks a message for extraction only
    return message


@dataclass(frozen=True)
class Message:
    text: str  # the English msgid, with %(param)s
    lead: bool = False  # a class of error: pages show it before the raise site's English reason


# The generic codes: what an error says when its raise site names nothing more precise.
GENERIC = "value.invalid"

MESSAGES: dict[str, Message] = {
    # --- generic: the problem classes of core.errors and each package's roots
    "request.invalid": Message(N_("The request was not accepted"), lead=True),
    "value.invalid": Message(N_("This value is not accepted"), lead=True),
    "body.invalid_json": Message(N_("The body is not valid JSON"), lead=True),
    "body.too_large": Message(N_("The request is too large"), lead=True),
    "body.too_deep": Message(N_("The request is nested too deeply"), lead=True),
    "request.media_type": Message(N_("This kind of file or body is not accepted"), lead=True),
    "auth.required": Message(N_("Please sign in first"), lead=True),
    "auth.forbidden": Message(N_("You are not allowed to do this"), lead=True),
    "resource.not_found": Message(N_("Not found"), lead=True),
    "resource.conflict": Message(N_("This conflicts with what is already recorded"), lead=True),
    "request.precondition_failed": Message(N_("The record changed since you read it"), lead=True),
    "request.rate_limited": Message(
        N_("Too many attempts; please wait a few minutes and try again"), lead=True
    ),
    "method.not_allowed": Message(N_("This action is not allowed here"), lead=True),
    "service.unavailable": Message(N_("The service is not available right now"), lead=True),
    "server.error": Message(N_("Something went wrong on our side"), lead=True),
    "registry.invalid": Message(N_("The registry did not accept this"), lead=True),
    "registry.transition": Message(N_("This step is not possible in the record's present state"), lead=True),
    "gs1.invalid": Message(N_("This GS1 identifier is not valid"), lead=True),
    "gs1.label_url": Message(N_("This label address is not in the expected form"), lead=True),
    "signing.invalid": Message(N_("The signing service did not accept this"), lead=True),
    "signing.record_format": Message(N_("This signed record is not in the expected form"), lead=True),
    "signing.key_source": Message(N_("The signing key is not available"), lead=True),
    "signing.serial": Message(N_("This serial number is not accepted"), lead=True),
    "verification.failed": Message(N_("The label could not be verified"), lead=True),
    "verification.recalled": Message(N_("This product has been recalled"), lead=True),
    "batch.invalid": Message(N_("This batch request is not accepted"), lead=True),
    "report.invalid": Message(N_("This report is not accepted"), lead=True),
    "recall.invalid": Message(N_("This recall is not accepted"), lead=True),
    "offline.input": Message(N_("This offline check input is not accepted"), lead=True),
    "search.invalid": Message(N_("The search did not work"), lead=True),
    "search.query": Message(N_("This search is not accepted"), lead=True),
    "search.unavailable": Message(N_("Search is not available right now"), lead=True),
    "search.products_not_found": Message(
        N_("Some of these products are not in the public catalogue"), lead=True
    ),
    "search.reindex_failed": Message(N_("The search index could not be rebuilt"), lead=True),
    "search.backend_unknown": Message(N_("This search backend is not known"), lead=True),
    "label.invalid": Message(N_("The label could not be made"), lead=True),
    "label.data": Message(N_("The label data is not accepted"), lead=True),
    "label.layout_unknown": Message(N_("This label layout is not known"), lead=True),
    "label.job_not_found": Message(N_("This label job was not found"), lead=True),
    "label.job_not_ready": Message(N_("This label job is not ready yet"), lead=True),
    "label.source_not_found": Message(N_("The label's source was not found"), lead=True),
    "label.batch_not_printable": Message(N_("This batch cannot be printed"), lead=True),
    "procurement.invalid": Message(N_("The procurement request was not accepted"), lead=True),
    "tender.file": Message(N_("This tender file is not accepted"), lead=True),
    "tender.file_too_large": Message(N_("This tender file is too large"), lead=True),
    "statement.not_found": Message(N_("This statement was not found"), lead=True),
    "shortlist.invalid": Message(N_("This shortlist change is not accepted"), lead=True),
    "shortlist.not_found": Message(N_("This shortlist was not found"), lead=True),
    "statement.too_many_lines": Message(N_("This statement has too many lines"), lead=True),
    "sms.invalid": Message(N_("The SMS check did not accept this"), lead=True),
    "sms.inbound_auth": Message(N_("This inbound message is not authenticated"), lead=True),
    "sms.not_configured": Message(N_("The SMS check is not configured"), lead=True),
    "sms.inbound": Message(N_("This inbound message is not valid"), lead=True),
    "sms.gateway": Message(N_("The SMS gateway did not accept the reply"), lead=True),
    "tlog.invalid": Message(N_("The transparency log did not accept this"), lead=True),
    "tlog.proof": Message(N_("The transparency log proof is not valid"), lead=True),
    "tlog.note": Message(N_("The signed note is not valid"), lead=True),
    "tlog.tile": Message(N_("This log tile is not valid"), lead=True),
    "tlog.audit": Message(N_("The log audit found a problem"), lead=True),
    "tlog.key_missing": Message(N_("The log's signing key is not available"), lead=True),
    "metrics.forbidden": Message(N_("The metrics are not open to you"), lead=True),
    "service.not_ready": Message(N_("The service is not ready yet"), lead=True),
    # --- pydantic's own checks (see PYDANTIC_CODES)
    "value.required": Message(N_("This field is required.")),
    "field.unknown": Message(N_("This field is not accepted.")),
    "text.too_short": Message(N_("Write at least %(min_length)s characters.")),
    "text.too_long": Message(N_("Write at most %(max_length)s characters.")),
    "text.format": Message(N_("This is not in the expected format.")),
    "text.type": Message(N_("Write this as text.")),
    "number.too_small": Message(N_("Must be %(ge)s or more.")),
    "number.too_large": Message(N_("Must be %(le)s or less.")),
    "number.not_above": Message(N_("Must be more than %(gt)s.")),
    "number.not_below": Message(N_("Must be less than %(lt)s.")),
    "number.not_integer": Message(N_("Write a whole number.")),
    "number.invalid": Message(N_("Write a number.")),
    "number.too_many_decimals": Message(N_("Write at most %(decimal_places)s digits after the point.")),
    "date.format": Message(N_("Write the date as YYYY-MM-DD.")),
    "url.format": Message(N_("Write a full web address, such as https://example.com.bd.")),
    "email.format": Message(N_("Write a valid e-mail address.")),
    "choice.yes_no": Message(N_("Choose yes or no.")),
    "choice.list": Message(N_("Choose from the list.")),
    # --- the registry's own reasons
    "bin.format": Message(N_("A BIN has exactly 13 digits.")),
    "tin.format": Message(N_("A TIN has exactly 12 digits.")),
    "hs_code.format": Message(N_("An HS code has 4 to 10 digits, such as 8517.13.")),
    "gtin.length": Message(N_("A GTIN has 8, 12, 13 or 14 digits.")),
    "gtin.check_digit": Message(
        N_("The check digit of GTIN %(gtin)s is %(got)s; it should be %(expected)s. Check the number.")
    ),
    "gtin.repeated": Message(N_("This GTIN repeats an earlier row.")),
    "gtin.taken": Message(N_("This GTIN is already registered to another product.")),
    "password.too_short": Message(N_("The password needs at least %(n)s characters.")),
    "password.too_long": Message(N_("The password may have at most %(n)s characters.")),
    "password.repeated": Message(N_("The password must not be one character repeated.")),
    "password.common": Message(N_("This is one of the most common passwords: choose another.")),
    "password.email": Message(N_("The password must not be your email address.")),
    "district.unknown": Message(N_("Choose a district from the list.")),
    "category.unknown": Message(N_("Choose a category from the list.")),
    "scheme.unknown": Message(N_("Choose a certificate scheme from the list.")),
    "dates.order": Message(N_("The end date cannot be before the start date.")),
    "value.taken": Message(N_("This is already registered.")),
    "value.unique_taken": Message(N_("A value that must be unique is already taken.")),
    "certificate.taken": Message(N_("Already registered as certificate %(number)s.")),
    "certificate.not_yours": Message(N_("Choose certificates of your own company from the list.")),
    "certificate.required_missing": Message(
        N_("A %(scheme)s certificate is required: link one to the product.")
    ),
    "certificate.required_not_valid": Message(
        N_("No linked %(scheme)s certificate is valid on %(on)s, the approval day.")
    ),
    "certificate.choose": Message(N_("Choose certificates from the list.")),
    "specifications.format": Message(N_("Write each line as Name: value.")),
    "field.emptied": Message(N_("This field cannot be left empty.")),
    "manufacturer.not_verified": Message(
        N_(
            "Only a verified manufacturer can register products; wait for the registry to verify your company."
        )
    ),
    "product.not_editable": Message(N_("Only drafts and rejected products can be edited.")),
    "text.control_character": Message(N_("Remove the control character %(char)s; it cannot be stored.")),
    "text.line_break": Message(N_("Write this on one line (remove the line break %(char)s).")),
    "text.invisible_character": Message(
        N_("Remove the invisible character %(char)s; it can make a name look like another.")
    ),
    "brand.not_yours": Message(
        N_("The brand %(name)s belongs to another manufacturer; ask its owner for a licence to use it.")
    ),
    "brand.not_registered": Message(
        N_(
            "This is not a registered brand of your company: register it in English and Bangla under Brands first."
        )
    ),
    "brand.not_decided": Message(N_("Your brand %(name)s is not registered yet: a reviewer decides first.")),
    "brand.latin_letters": Message(N_("Write the English spelling in Latin letters.")),
    "brand.bangla_letters": Message(N_("Write the Bangla spelling in Bangla letters.")),
    "brand.already_yours": Message(N_("Your company already has this brand.")),
    "brand.maker_not_verified": Message(N_("Only a verified manufacturer can register brands.")),
    "brand.owner_only": Message(N_("Only the brand's owner can license it.")),
    "brand.not_licensable": Message(N_("Only a registered brand can be licensed.")),
    "brand.licensee_unknown": Message(N_("Choose a verified manufacturer from the list.")),
    "brand.licensee_self": Message(N_("Your company owns this brand already.")),
    "brand.already_licensed": Message(N_("This manufacturer is licensed already.")),
    "brand.licence_reason": Message(N_("Give a reason for ending the licence.")),
    "brand.not_pending": Message(N_("This brand is not waiting for a decision.")),
    "brand.reason_required": Message(N_("Give a reason for the rejection.")),
    "record.changed": Message(
        N_("Someone else changed this at the same moment. Reload the page and try again.")
    ),
}

# pydantic's error types -> our codes (a type not named here reports GENERIC).
PYDANTIC_CODES: dict[str, str] = {
    "missing": "value.required",
    "extra_forbidden": "field.unknown",
    "string_too_short": "text.too_short",
    "string_too_long": "text.too_long",
    "string_pattern_mismatch": "text.format",
    "string_type": "text.type",
    "greater_than_equal": "number.too_small",
    "less_than_equal": "number.too_large",
    "greater_than": "number.not_above",
    "less_than": "number.not_below",
    "int_parsing": "number.not_integer",
    "int_type": "number.not_integer",
    "int_from_float": "number.not_integer",
    "float_parsing": "number.invalid",
    "float_type": "number.invalid",
    "decimal_parsing": "number.invalid",
    "decimal_type": "number.invalid",
    "decimal_max_places": "number.too_many_decimals",
    "date_parsing": "date.format",
    "date_from_datetime_parsing": "date.format",
    "date_type": "date.format",
    "url_parsing": "url.format",
    "url_scheme": "url.format",
    "bool_parsing": "choice.yes_no",
    "list_type": "choice.list",
}


def coded(code: str, english: str, **params: Any) -> PydanticCustomError:
    """A ``ValueError`` carrying ``code`` and ``params``: raised in a pydantic validator, pydantic reports it
    under ``code`` with ``params`` as its context; elsewhere ``code_of``/``params_of`` read them back."""
    return PydanticCustomError(code, english, params or None)


def code_of(exc: BaseException, default: str = GENERIC) -> str:
    """The code an exception carries (``coded`` or a ``ProblemError``), else ``default``."""
    code = getattr(exc, "type", None) if isinstance(exc, PydanticCustomError) else getattr(exc, "code", None)
    return code if isinstance(code, str) and code in MESSAGES else default


def params_of(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, PydanticCustomError):
        return plain_params(exc.context)
    return plain_params(getattr(exc, "params", None))


def plain_params(context: Any) -> dict[str, Any]:
    """An error's context as JSON scalars: numbers, text and booleans as they are, other values (a Decimal
    bound, a date) as text; exception objects and containers (pydantic puts some in) are left out."""
    out: dict[str, Any] = {}
    for key, value in (context or {}).items():
        if isinstance(value, bool | int | float | str):
            out[str(key)] = value
        elif not isinstance(value, BaseException | dict | list | tuple | set) and value is not None:
            out[str(key)] = str(value)
    return out


def code_of_pydantic(err: dict[str, Any]) -> str:
    """The code of one pydantic error dict: its own type when a validator raised ``coded``, else the mapped
    built-in type.  ``EmailStr`` reports its own ``value_error`` with a ``reason``."""
    kind = str(err.get("type", ""))
    if kind in MESSAGES:
        return kind
    if kind == "value_error" and str(err.get("msg", "")).startswith("value is not a valid email address"):
        return "email.format"
    return PYDANTIC_CODES.get(kind, GENERIC)
