"""Label URLs: the exact format, other spellings of the same identifiers, tampering, QR size and decoding."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import qrcode
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from gs1.errors import LabelURLError
from signing import (
    KeyRing,
    Signer,
    Verdict,
    VerificationError,
    issue_label_url,
    issue_label_urls,
    issue_product_url,
    parse_label_url,
    verify_label_url,
)
from signing.errors import Reason
from signing.labels import encode_to_be_signed

from .conftest import ISSUED_ON

HOST = "verify.mib.gov.bd"
SERIAL = "001A9E2SE00GK"

# Hand-checked: key tag = first 5 bytes of base64url-decoded kid "kPrK_qmx..." = 90 fa ca fe a9;
# issue day 2026-11-28 = 20785 days after 1970-01-01 = 0x5131; the signature is RFC 8032 TEST 1's key over
# the Sig_structure in test_vectors.test_label_to_be_signed_matches_hand_written_cbor.
EXPECTED_TAG = bytes.fromhex("90facafea9")
EXPECTED_DAY = (date(2026, 11, 28) - date(1970, 1, 1)).days
# The worked example of docs/formats.md (RFC 8032 TEST 1 key, 2026-11-28, GTIN 04006381333931, serial
# 001A9E2SE00GK); Ed25519 is deterministic, so this must never change.
PINNED_PARAMETER = (
    "547147789031282091156502456578236877908660879481073055628283161884596359724912034797087945673566"
    "489791519866755178912565274521685307732895899698974777917471662657840982784"
)


def qr_version(text: str) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return int(code.version)


def test_issued_url_has_the_documented_form(signer: Signer) -> None:
    url = issue_label_url(HOST, "4006381333931", SERIAL, ISSUED_ON, signer)
    prefix = "https://VERIFY.MIB.GOV.BD/01/04006381333931/21/001A9E2SE00GK?s="
    assert url.startswith(prefix)
    digits = url[len(prefix) :]
    assert len(digits) == 171 and digits.isdigit()
    raw = int(digits).to_bytes(71, "big")
    assert raw[:5] == EXPECTED_TAG
    assert int.from_bytes(raw[5:7], "big") == EXPECTED_DAY == 20785
    expected_signature = signer.sign(
        encode_to_be_signed(HOST, "04006381333931", SERIAL, ISSUED_ON, EXPECTED_TAG)
    )
    assert raw[7:] == expected_signature


def test_issue_is_deterministic_and_pinned(signer: Signer) -> None:
    url = issue_label_url(HOST, "04006381333931", SERIAL, ISSUED_ON, signer)
    assert url == issue_label_url(HOST.upper(), "4006381333931", SERIAL, ISSUED_ON, signer)
    assert url == ("https://VERIFY.MIB.GOV.BD/01/04006381333931/21/001A9E2SE00GK?s=" + PINNED_PARAMETER)


def test_parse_gives_the_identifiers(signer: Signer) -> None:
    label = parse_label_url(issue_label_url(HOST, "4006381333931", SERIAL, ISSUED_ON, signer))
    assert (label.host, label.gtin, label.serial, label.issued_on, label.key_tag) == (
        HOST,
        "04006381333931",
        SERIAL,
        ISSUED_ON,
        EXPECTED_TAG,
    )
    assert label.product_url() == "https://verify.mib.gov.bd/01/04006381333931"


def respell(url: str, how: str) -> str:
    path_and_query = url.split("/01/", 1)[1]
    gtin, rest = path_and_query.split("/", 1)
    serial_part, query = rest.split("?", 1)
    return {
        "lower-case host": url.replace("VERIFY.MIB.GOV.BD", "verify.mib.gov.bd"),
        "mixed-case host": url.replace("VERIFY.MIB.GOV.BD", "Verify.Mib.Gov.Bd"),
        "http": url.replace("https://", "http://"),
        "default port": url.replace("VERIFY.MIB.GOV.BD", "VERIFY.MIB.GOV.BD:443"),
        "GTIN-13": url.replace(f"/01/{gtin}/", f"/01/{gtin[1:]}/"),
        "lot qualifier": url.replace(f"/01/{gtin}/", f"/01/{gtin}/10/LOT-7/"),
        "lot after serial": url.replace(f"?{query}", f"/10/LOT7?{query}"),
        "path prefix": url.replace("/01/", "/dl/01/"),
        "trailing slash": url.replace("?", "/?"),
        "extra query": url + "&17=281231",
        "query first": url.replace(f"?{query}", f"?linkType=all&{query}"),
        "lower-case serial": url.replace(serial_part, serial_part.lower()),
        "upper-case parameter": url.replace("?s=", "?S="),
        "fragment": url + "#top",
    }[how]


SPELLINGS = [
    "lower-case host",
    "mixed-case host",
    "http",
    "default port",
    "GTIN-13",
    "lot qualifier",
    "lot after serial",
    "path prefix",
    "trailing slash",
    "extra query",
    "query first",
    "lower-case serial",
    "upper-case parameter",
    "fragment",
]


@pytest.mark.parametrize("how", SPELLINGS)
def test_other_spellings_resolve_to_the_same_identifiers_and_verify(
    how: str, signer: Signer, keyring: KeyRing
) -> None:
    url = issue_label_url(HOST, "4006381333931", SERIAL, ISSUED_ON, signer)
    original = parse_label_url(url)
    respelled = parse_label_url(respell(url, how))
    assert (respelled.host, respelled.gtin, respelled.serial, respelled.signature) == (
        original.host,
        original.gtin,
        original.serial,
        original.signature,
    )
    verify_label_url(respell(url, how), keyring)


def tampered_versions(url: str) -> dict[str, str]:
    digits = url.split("?s=")[1]
    raw = bytearray(int(digits).to_bytes(71, "big"))

    def with_raw(index: int) -> str:
        changed = bytearray(raw)
        changed[index] ^= 0x01
        return url.split("?s=")[0] + "?s=" + str(int.from_bytes(changed, "big")).zfill(171)

    return {
        "host": url.replace("VERIFY.MIB", "VERIFY.M1B"),
        "host port": url.replace("GOV.BD/", "GOV.BD:8443/"),
        "gtin": url.replace("/01/04006381333931", "/01/04006381333948"),  # another valid GTIN
        "serial": url.replace("00GK?", "00GM?"),
        "serial removed": url.replace("/21/001A9E2SE00GK", ""),
        "serial added": url.replace("/21/001A9E2SE00GK", "/21/001A9E2SE00GK/21/X"),
        "key tag": with_raw(0),
        "issue day": with_raw(6),
        "signature first byte": with_raw(7),
        "signature last byte": with_raw(70),
        "parameter digit": url[:-1] + str((int(url[-1]) + 1) % 10),
        "parameter shortened": url[:-1],
        "parameter removed": url.split("?")[0],
        "parameter doubled": url + "&s=" + digits,
        "parameter out of range": url.split("?s=")[0] + "?s=" + "9" * 171,
        "gtin check digit": url.replace("/01/04006381333931", "/01/04006381333932"),
        "scheme": url.replace("https://", "ftp://"),
    }


TAMPERINGS = list(
    tampered_versions("https://VERIFY.MIB.GOV.BD/01/04006381333931/21/001A9E2SE00GK?s=" + "1" * 171)
)


@pytest.mark.parametrize("part", TAMPERINGS)
def test_tampering_with_any_part_gives_not_genuine(part: str, signer: Signer, keyring: KeyRing) -> None:
    url = issue_label_url(HOST, "4006381333931", SERIAL, ISSUED_ON, signer)
    verify_label_url(url, keyring)
    with pytest.raises(VerificationError) as caught:
        verify_label_url(tampered_versions(url)[part], keyring)
    expected = Verdict.UNTRUSTED_KEY if part == "key tag" else Verdict.NOT_GENUINE
    assert caught.value.verdict is expected, caught.value


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "https://verify.mib.gov.bd/",
        "https://verify.mib.gov.bd/01/",
        "https://verify.mib.gov.bd/01/4006381333931/21",
        "https://verify.mib.gov.bd/01/4006381333931/99/X",
        "https://verify.mib.gov.bd/01/4006381333931/21/A/21/B",
        "https://verify.mib.gov.bd/01/4006381333931/21/" + "A" * 21,
        "https://verify.mib.gov.bd/01/4006381333931/21/AB_C",
        "https://user@verify.mib.gov.bd/01/4006381333931",
        "https://verify.mib.gov.bd/01/4006381333931 /21/A",
        "https://verify.mib.gov.bd/01/4006381333931?s=12",
        "https://verify.mib.gov.bd/01/4006381333931?s=" + "x" * 171,
        "https://vérify.mib.gov.bd/01/4006381333931",
        "mailto://verify.mib.gov.bd/01/4006381333931",
    ],
)
def test_malformed_urls_raise_a_parse_error(url: str) -> None:
    with pytest.raises(LabelURLError) as caught:
        parse_label_url(url)
    assert caught.value.status_code == 400


def test_product_url_has_no_unit_authenticity(signer: Signer, keyring: KeyRing) -> None:
    url = issue_product_url("127.0.0.1:5000", "4006381333931")
    assert url == "https://127.0.0.1:5000/01/04006381333931"
    label = parse_label_url(url)
    assert (label.gtin, label.serial, label.is_signed) == ("04006381333931", None, False)
    with pytest.raises(VerificationError) as caught:
        verify_label_url(url, keyring)
    assert caught.value.reason is Reason.NO_UNIT_SIGNATURE
    assert caught.value.verdict is Verdict.UNKNOWN
    signed_product = issue_label_url(HOST, "4006381333931", None, ISSUED_ON, signer)
    verify_label_url(signed_product, keyring)


def test_a_unit_url_without_its_signature_is_not_genuine(keyring: KeyRing) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_label_url("https://verify.mib.gov.bd/01/04006381333931/21/001A9E2SE00GK", keyring)
    assert caught.value.verdict is Verdict.NOT_GENUINE


@pytest.mark.parametrize(
    ("host", "serial", "limit"),
    [
        (HOST, SERIAL, 7),
        ("127.0.0.1:5000", SERIAL, 7),
        ("registry.madeinbangladesh.gov.bd", SERIAL, 8),
        (HOST, "ABCDEFGHJKMNPQRSTVWX", 8),
    ],
)
def test_unit_url_fits_qr_version_8_at_level_m(host: str, serial: str, limit: int, signer: Signer) -> None:
    url = issue_label_url(host, "4006381333931", serial, ISSUED_ON, signer)
    assert url.startswith("https://")
    assert qr_version(url) <= limit


def test_url_decoded_from_a_rendered_qr_image_is_exact_and_verifies(signer: Signer, keyring: KeyRing) -> None:
    url = issue_label_url("127.0.0.1:5000", "4006381333931", SERIAL, ISSUED_ON, signer)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image().get_image()
    results = zxingcpp.read_barcodes(image)
    assert [result.text for result in results] == [url]
    verify_label_url(results[0].text, keyring)


def test_batch_issue_matches_single_issue(signer: Signer) -> None:
    serials = ["001AAAAAAAAAA", "001BBBBBBBBBB", None]
    urls = issue_label_urls(HOST, "4006381333931", serials, ISSUED_ON, signer)
    assert urls == [issue_label_url(HOST, "4006381333931", serial, ISSUED_ON, signer) for serial in serials]
    with pytest.raises(LabelURLError):
        issue_label_urls(HOST, "4006381333931", ["bad serial"], ISSUED_ON, signer)


serials = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=20)
days = st.dates(min_value=date(1970, 1, 1), max_value=date(2149, 6, 1))
hosts = st.sampled_from([HOST, "127.0.0.1:5000", "localhost:8080", "a.b", "x-y.example.org"])


@settings(max_examples=80, deadline=None)
@given(host=hosts, serial=serials, day=days, position=st.integers(0, 70), bit=st.integers(0, 7))
def test_any_label_round_trips_and_any_bit_flip_fails(
    host: str, serial: str, day: date, position: int, bit: int
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from signing import PublishedKey

    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    ring = KeyRing((PublishedKey.from_public_key(private.public_key()),))
    url = issue_label_url(host, "96385074", serial, day, Signer.from_private_key(private))
    label = parse_label_url(url)
    assert (label.host, label.gtin, label.serial, label.issued_on) == (host, "00000096385074", serial, day)
    on_the_day = datetime.combine(day, time(12), tzinfo=UTC)  # verified on its issue day: never future-dated
    verify_label_url(url, ring, now=on_the_day)
    base, digits = url.split("?s=")
    raw = bytearray(int(digits).to_bytes(71, "big"))
    raw[position] ^= 1 << bit
    with pytest.raises(VerificationError):
        verify_label_url(base + "?s=" + str(int.from_bytes(raw, "big")).zfill(171), ring, now=on_the_day)


def test_a_plain_http_demo_server_gets_http_labels_that_verify_alike(
    signer: Signer, keyring: KeyRing
) -> None:
    demo = issue_label_url("127.0.0.1:5000", "4006381333931", SERIAL, ISSUED_ON, signer, scheme="http")
    secure = issue_label_url("127.0.0.1:5000", "4006381333931", SERIAL, ISSUED_ON, signer)
    assert demo.startswith("http://127.0.0.1:5000/01/")
    assert demo.replace("http://", "https://", 1) == secure
    verify_label_url(demo, keyring)
    with pytest.raises(LabelURLError):
        issue_label_url(HOST, "4006381333931", SERIAL, ISSUED_ON, signer, scheme="HTTPS")
