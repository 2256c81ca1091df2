"""Form errors in the reader's language.

The rules live in ``registry`` (pydantic schemas, validators, services) and speak English, as the API
does. Pages in Bangla show the same errors in Bangla: pydantic's built-in errors by their ``type`` and
context, the registry's own reasons by the English sentence they start with. A page in English keeps
the English text exactly; an error nobody has translated yet keeps its English words after a Bangla
lead, so nothing is ever hidden.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext

from web.language import current_lang


def N_(message: str) -> str:  # noqa: N802 - the usual name: marks a message for extraction only
    return message


# pydantic error type -> message; %(name)s takes the error's context (min_length, ge, ...).
BY_TYPE: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("Write at least %(min_length)s characters."),
    "string_too_long": N_("Write at most %(max_length)s characters."),
    "greater_than_equal": N_("Must be %(ge)s or more."),
    "less_than_equal": N_("Must be %(le)s or less."),
    "greater_than": N_("Must be more than %(gt)s."),
    "less_than": N_("Must be less than %(lt)s."),
    "int_parsing": N_("Write a whole number."),
    "int_type": N_("Write a whole number."),
    "float_parsing": N_("Write a number."),
    "float_type": N_("Write a number."),
    "decimal_parsing": N_("Write a number."),
    "decimal_type": N_("Write a number."),
    "decimal_max_places": N_("Write at most %(decimal_places)s digits after the point."),
    "date_parsing": N_("Write the date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Write the date as YYYY-MM-DD."),
    "date_type": N_("Write the date as YYYY-MM-DD."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "url_parsing": N_("Write a full web address, such as https://example.com.bd."),
    "url_scheme": N_("Write a full web address, such as https://example.com.bd."),
    "extra_forbidden": N_("This field is not accepted."),
    "bool_parsing": N_("Choose yes or no."),
    "list_type": N_("Choose from the list."),
}

# The registry's own reasons (validators, services, forms), matched at the start of the English text.
BY_TEXT: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"brand (?P<name>.+) is registered to another manufacturer"),
        N_("The brand %(name)s belongs to another manufacturer; ask its owner for a licence to use it."),
    ),
    (
        re.compile(r"not a registered brand of your company"),
        N_(
            "This is not a registered brand of your company: register it in English and Bangla under Brands first."
        ),
    ),
    (
        re.compile(r"your brand (?P<name>.+) is (pending|rejected); a reviewer decides first"),
        N_("Your brand %(name)s is not registered yet: a reviewer decides first."),
    ),
    (
        re.compile(r"write the English spelling in Latin letters"),
        N_("Write the English spelling in Latin letters."),
    ),
    (
        re.compile(r"write the Bangla spelling in Bangla letters"),
        N_("Write the Bangla spelling in Bangla letters."),
    ),
    (
        re.compile(r"your company already has this brand"),
        N_("Your company already has this brand."),
    ),
    (re.compile(r"already your brand"), N_("Your company already has this brand.")),
    (re.compile(r"a reason is required to end a licence"), N_("Give a reason for ending the licence.")),
    (re.compile(r"only the brand's owner can license it"), N_("Only the brand's owner can license it.")),
    (re.compile(r"this manufacturer is licensed already"), N_("This manufacturer is licensed already.")),
    (re.compile(r"already licensed"), N_("This manufacturer is licensed already.")),
    (
        re.compile(r"only a verified manufacturer can register brands"),
        N_("Only a verified manufacturer can register brands."),
    ),
    (re.compile(r"a BIN has exactly 13 digits"), N_("A BIN has exactly 13 digits.")),
    (re.compile(r"a TIN has exactly 12 digits"), N_("A TIN has exactly 12 digits.")),
    (re.compile(r"an HS code is 4 to 10 digits"), N_("An HS code has 4 to 10 digits, such as 8517.13.")),
    (re.compile(r"GTIN must be 8, 12, 13 or 14 digits"), N_("A GTIN has 8, 12, 13 or 14 digits.")),
    (
        re.compile(r"GTIN (?P<gtin>\d+) has check digit (?P<got>\d), expected (?P<expected>\d)"),
        N_("The check digit of GTIN %(gtin)s is %(got)s; it should be %(expected)s. Check the number."),
    ),
    (
        re.compile(r"the password needs at least (?P<n>\d+) characters"),
        N_("The password needs at least %(n)s characters."),
    ),
    (
        re.compile(r"the password may have at most (?P<n>\d+) characters"),
        N_("The password may have at most %(n)s characters."),
    ),
    (
        re.compile(r"the password must not be one character repeated"),
        N_("The password must not be one character repeated."),
    ),
    (
        re.compile(r"the password is one of the most common passwords"),
        N_("This is one of the most common passwords: choose another."),
    ),
    (
        re.compile(r"the password must not be your email address"),
        N_("The password must not be your email address."),
    ),
    (re.compile(r"unknown district"), N_("Choose a district from the list.")),
    (re.compile(r"unknown category"), N_("Choose a category from the list.")),
    (re.compile(r"unknown certificate scheme"), N_("Choose a certificate scheme from the list.")),
    (
        re.compile(r"valid_until must not be before valid_from"),
        N_("The end date cannot be before the start date."),
    ),
    (re.compile(r"value is not a valid email address"), N_("Write a valid e-mail address.")),
    (
        re.compile(r"already registered to another product"),
        N_("This GTIN is already registered to another product."),
    ),
    (
        re.compile(r"already registered as certificate (?P<number>\d+)"),
        N_("Already registered as certificate %(number)s."),
    ),
    (re.compile(r"already registered"), N_("This is already registered.")),
    (re.compile(r"cannot be emptied"), N_("This field cannot be left empty.")),
    (
        re.compile(r"no certificate of yours with id"),
        N_("Choose certificates of your own company from the list."),
    ),
    (re.compile(r"write each line as Key: value"), N_("Write each line as Name: value.")),
    (re.compile(r"choose certificates from the list"), N_("Choose certificates from the list.")),
    (re.compile(r"this GTIN is already registered"), N_("This GTIN is already registered.")),
    (
        re.compile(r"a value that must be unique is already taken"),
        N_("A value that must be unique is already taken."),
    ),
    (
        re.compile(r"only a verified manufacturer can register products"),
        N_(
            "Only a verified manufacturer can register products; wait for the registry to verify your company."
        ),
    ),
    (
        re.compile(r"a \w+ product cannot be edited"),
        N_("Only drafts and rejected products can be edited."),
    ),
    (
        re.compile(r"contains the control character (?P<char>U\+[0-9A-F]+)"),
        N_("Remove the control character %(char)s; it cannot be stored."),
    ),
    (
        re.compile(r"contains the line break (?P<char>U\+[0-9A-F]+)"),
        N_("Write this on one line (remove the line break %(char)s)."),
    ),
    (
        re.compile(r"contains the invisible formatting character (?P<char>U\+[0-9A-F]+)"),
        N_("Remove the invisible character %(char)s; it can make a name look like another."),
    ),
    (
        re.compile(r"this record was changed by someone else"),
        N_("Someone else changed this at the same moment. Reload the page and try again."),
    ),
]
UNTRANSLATED = N_("This value is not accepted")


def _in_english() -> bool:

    return current_lang() != "bn"


def from_pydantic(err: dict[str, Any]) -> str:
    """One pydantic error dict as a message in the page's language."""
    english = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if _in_english():
        return english
    message = BY_TYPE.get(str(err.get("type", "")))
    if message is not None:
        context = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        try:
            return gettext(message, **context)
        except (KeyError, ValueError):  # a context the message does not name
            return gettext(UNTRANSLATED) + ": " + english
    return from_text(english)


def from_text(english: str) -> str:
    """A registry reason or detail (English) in the page's language."""
    if _in_english() or not english:
        return english
    for pattern, message in BY_TEXT:
        found = pattern.match(english)
        if found:
            groups = found.groupdict()
            return gettext(message, **groups)
    return gettext(UNTRANSLATED) + ": " + english
