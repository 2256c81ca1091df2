"""What a feature phone receives: every reply kind in English fits one GSM-7 SMS (160) and in Bangla one UCS-2
SMS (70), whatever the product's name; and how messages are read (Latin, Bangla digits and keyword, any case,
separators)."""

from __future__ import annotations

from typing import Any

import pytest

from signing.checkcodes import CheckCodes
from sms.encoding import GSM7_LIMIT, UCS2_LIMIT, gsm7_length, is_gsm7, to_gsm7, ucs2_length
from sms.parsing import parse_message
from sms.replies import compose_reply, reply_kind

KINDS = (
    "genuine",
    "copies",
    "recalled",
    "suspended",
    "revoked",
    "expired",
    "not_genuine",
    "unknown",
    "typo",
    "help",
    "limited",
)
# the first words of each reply: the verdict is never shortened away
OPENING = {
    "en": {
        "genuine": "MIB GENUINE",
        "copies": "MIB WARNING",
        "recalled": "MIB RECALLED",
        "suspended": "MIB SUSPENDED",
        "revoked": "MIB REVOKED",
        "expired": "MIB EXPIRED",
        "not_genuine": "MIB NOT GENUINE",
        "unknown": "MIB UNKNOWN",
        "typo": "MIB: code",
        "help": "MIB check",
        "limited": "MIB: too many",
    },
    "bn": {
        "genuine": "আসল পণ্য",
        "copies": "সতর্কতা",
        "recalled": "প্রত্যাহার",
        "suspended": "স্থগিত",
        "revoked": "বাতিল",
        "expired": "মেয়াদোত্তীর্ণ",
        "not_genuine": "আসল নয়",
        "unknown": "অজানা",
        "typo": "কোড",
        "help": "QR-এর",
        "limited": "এই নম্বর",
    },
}
CODE = CheckCodes(bytes(32)).code(3, 4).replace("-", "")


def verdict_body(name_en: str, name_bn: str, contact: str) -> dict[str, Any]:
    return {
        "verdict": "genuine",
        "product": {"name_en": name_en, "name_bn": name_bn},
        "licence": {"valid_until": "2029-11-05"},
        "recall": {"contact": contact},
    }


LONG = verdict_body(
    "Ekota Smartphone AA-100 Ultra Pro Max with a very long marketing name — édition spéciale «2026» " * 3,
    "একতা স্মার্টফোন এএ-১০০ আল্ট্রা প্রো ম্যাক্স বিশেষ সংস্করণ " * 3,
    "16xxx (toll-free), recall@example.com.bd, or any service centre in all 64 districts " * 2,
)
SHORT = verdict_body("Ekota AA-100", "একতা এএ-১০০", "16xxx")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("body", [LONG, SHORT], ids=["long names", "short names"])
def test_every_reply_fits_one_sms_in_both_languages(sapp: Any, kind: str, body: dict[str, Any]) -> None:
    english = compose_reply(kind, "en", body=body, code=CODE, minutes=45)
    assert is_gsm7(english.text), english.text
    assert english.encoding == "gsm7" and english.length == gsm7_length(english.text) <= GSM7_LIMIT
    assert english.text.startswith(OPENING["en"][kind])

    bangla = compose_reply(kind, "bn", body=body, code=CODE, minutes=45)
    assert bangla.encoding == "ucs2" and bangla.length == ucs2_length(bangla.text) <= UCS2_LIMIT, bangla.text
    assert bangla.text.startswith(OPENING["bn"][kind]), bangla.text
    assert not is_gsm7(bangla.text)  # Bangla words: sent as unicode


def test_short_names_are_given_whole_and_dates_in_bangla_digits(sapp: Any) -> None:
    english = compose_reply("genuine", "en", body=SHORT, code=CODE)
    assert "Ekota AA-100" in english.text and "2029-11-05" in english.text
    bangla = compose_reply("genuine", "bn", body=SHORT, code=CODE)
    assert "একতা এএ-১০০" in bangla.text and "২০২৯-১১-০৫" in bangla.text
    recalled = compose_reply("recalled", "en", body=SHORT)
    assert recalled.text.endswith("16xxx")


def test_a_long_name_is_shortened_visibly(sapp: Any) -> None:
    english = compose_reply("genuine", "en", body=LONG, code=CODE)
    assert "..." in english.text and english.length <= GSM7_LIMIT
    bangla = compose_reply("genuine", "bn", body=LONG, code=CODE)
    assert "…" in bangla.text


def test_gsm7_alphabet_and_lengths() -> None:
    assert gsm7_length("MIB GENUINE: @£$¥") == 17
    assert gsm7_length("{[€]}") == 10  # the extension table costs two septets each
    with pytest.raises(ValueError, match="GSM-7"):
        gsm7_length("আসল")
    assert not is_gsm7("naïve") and is_gsm7("Ñandù à")
    assert to_gsm7("Café “Ekota” — naïve ✓ একতা") == 'Café "Ekota" - naive'  # é is in GSM-7, ï is not
    assert ucs2_length("আসল") == 3 and ucs2_length("😀") == 2


def test_reply_kind_follows_the_verdict_and_the_copy_warning() -> None:
    assert reply_kind({"verdict": "genuine", "clone_warning": False}) == "genuine"
    assert reply_kind({"verdict": "genuine", "clone_warning": {"flags": ["many_devices"]}}) == "copies"
    assert reply_kind({"verdict": "untrusted_key"}) == "not_genuine"
    assert reply_kind({"verdict": "recalled"}) == "recalled"


BANGLA = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
PRINTED = f"{CODE[:4]}-{CODE[4:8]}-{CODE[8:]}"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (f"MIB {PRINTED}", "en"),
        (f"mib {PRINTED.lower()}", "en"),
        (f"MIB{CODE}", "en"),
        (f"  Mib  {CODE[:3]} {CODE[3:7]} {CODE[7:]} ", "en"),
        (PRINTED, "en"),
        (f"MIB {PRINTED.replace('0', 'O').replace('1', 'I')}", "en"),
        (f"এমআইবি {PRINTED.translate(BANGLA)}", "bn"),
        (f"এম আই বি {CODE.translate(BANGLA)}", "bn"),
        (f"MIB {PRINTED.translate(BANGLA)}", "bn"),  # Bangla digits are Bangla script: a Bangla keyboard
        (f"এমআইবি {PRINTED}", "bn"),
    ],
)
def test_messages_are_read_in_latin_and_bangla(text: str, language: str) -> None:
    parsed = parse_message(text)
    assert (parsed.kind, parsed.code, parsed.language) == ("code", CODE, language)


def test_a_typo_and_a_message_without_a_code() -> None:
    wrong = CODE[:5] + ("X" if CODE[5] != "X" else "Y") + CODE[6:]
    assert parse_message(f"MIB {wrong}").kind == "typo"
    assert parse_message(f"এমআইবি {wrong}") == parse_message(f"এমআইবি {wrong}")
    assert parse_message(f"এমআইবি {wrong}").language == "bn"
    for text in ("", "MIB", "hello", "MIB 12345", "এমআইবি", f"MIB {CODE}{CODE}"):
        assert parse_message(text).kind == "help", text
    assert parse_message("এমআইবি").language == "bn"
