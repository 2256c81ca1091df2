"""Many label URLs at once: ``verify_label_urls`` and ``python -m signing verify --each-line``.

Each test runs with the native Ed25519 module (batch verification) and with libsodium (PyNaCl) alone; on both paths
every URL gets exactly the verdict, reason and message that ``verify_label_url`` gives it on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gs1.gtin import compute_check_digit
from signing import (
    KeyRing,
    LabelURL,
    PublishedKey,
    Signer,
    StatusList,
    StatusSnapshot,
    StatusValue,
    VerificationError,
    ed25519,
    issue_label_urls,
    parse_label_url,
    sign_status_list,
    verify_label_url,
)
from signing.errors import Reason, Verdict
from signing.labels import encode_to_be_signed, verify_label_urls
from signing.offline import EXIT_STATUS_NOT_CHECKED, main

from .conftest import ISSUED_ON, NOW, RFC8032_TEST1_SECRET, RFC8032_TEST2_SECRET

HOST = "verify.mib.gov.bd"
GTIN = "04006381333931"
OTHER_GTIN = "0950600013435" + compute_check_digit("0950600013435")
L = 2**252 + 27742317777372353535851937790883648493


@pytest.fixture(params=["mib_ed25519", "pynacl"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "pynacl":
        monkeypatch.setattr(ed25519, "load_native", lambda: None)
    elif ed25519.load_native() is None:
        pytest.skip(
            "the native module is not built here (in CI with cargo test_native_ed25519 fails instead)"
        )
    assert ed25519.backend_name() == request.param
    return str(request.param)


@pytest.fixture()
def signer(backend: str) -> Signer:  # made after the backend is chosen: keys pick their implementation once
    return Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(RFC8032_TEST1_SECRET))


@pytest.fixture()
def keyring(backend: str, signer: Signer) -> KeyRing:
    return KeyRing(
        (PublishedKey.from_public_key(signer.private_key.public_key(), created_at=NOW.replace(year=2025)),)
    )


@pytest.fixture()
def urls(signer: Signer) -> list[str]:
    return issue_label_urls(HOST, GTIN, [f"001A9E2SE{i:04d}" for i in range(64)], ISSUED_ON, signer)


def outcome(url: str, keyring: KeyRing, status: StatusSnapshot | None = None) -> tuple[str, str, str] | None:
    """What verify_label_url says about one URL: None, or (verdict, reason, detail)."""
    try:
        verify_label_url(url, keyring, status)
    except VerificationError as exc:
        return exc.verdict.value, exc.reason.value, exc.detail
    return None


def outcomes(
    urls: list[str], keyring: KeyRing, status: StatusSnapshot | None = None
) -> list[tuple[str, str, str] | None]:
    return [
        None if error is None else (error.verdict.value, error.reason.value, error.detail)
        for error in verify_label_urls(urls, keyring, status)
    ]


def with_signature(label: LabelURL, signature: bytes) -> str:
    return replace(label, signature=signature).to_url()


def flip_bit(signature: bytes, position: int) -> bytes:
    changed = bytearray(signature)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


TAMPERINGS: dict[str, Callable[[LabelURL, Signer], str]] = {
    "gtin": lambda label, _: replace(label, gtin=OTHER_GTIN).to_url(),
    "serial": lambda label, _: replace(label, serial=label.serial[:-1] + "X").to_url(),  # type: ignore[index]
    "date": lambda label, _: replace(label, issued_on=label.issued_on + timedelta(days=1)).to_url(),  # type: ignore[operator]
    "host": lambda label, _: replace(label, host="verify.mib.gov.bd.example").to_url(),
    "signature R bit": lambda label, _: with_signature(label, flip_bit(label.signature, 5)),  # type: ignore[arg-type]
    "signature s bit": lambda label, _: with_signature(label, flip_bit(label.signature, 300)),  # type: ignore[arg-type]
    "signature s + L": lambda label, _: with_signature(
        label,
        label.signature[:32] + (int.from_bytes(label.signature[32:], "little") + L).to_bytes(32, "little"),  # type: ignore[index]
    ),
    "wrong key, our key tag": lambda label, other: with_signature(label, other.sign(label.to_be_signed())),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_tampered_url_fails_alone_and_is_found_exactly_in_a_batch_of_64(
    tampering: str, urls: list[str], keyring: KeyRing
) -> None:
    other = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(RFC8032_TEST2_SECRET))
    for position in (0, 37, 63):
        batch = list(urls)
        batch[position] = TAMPERINGS[tampering](parse_label_url(urls[position]), other)
        expected = ("not_genuine", Reason.BAD_SIGNATURE.value, "the signature does not match")
        assert outcome(batch[position], keyring) == expected
        assert outcomes(batch, keyring) == [expected if i == position else None for i in range(64)]


def test_a_url_signed_by_a_key_that_is_not_published_is_untrusted_in_both_paths(
    urls: list[str], keyring: KeyRing, backend: str
) -> None:
    stranger = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    batch = [*urls[:10], *issue_label_urls(HOST, GTIN, ["001A9E2SE9999"], ISSUED_ON, stranger)]
    results = outcomes(batch, keyring)
    assert results[:10] == [None] * 10
    assert results[10] is not None and results[10][:2] == (
        Verdict.UNTRUSTED_KEY.value,
        Reason.UNKNOWN_KEY.value,
    )
    assert results[10] == outcome(batch[10], keyring)


def test_every_kind_of_failure_gets_the_same_verdict_and_message_as_alone(
    signer: Signer, urls: list[str], backend: str
) -> None:
    compromised_on = datetime.combine(ISSUED_ON - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    old = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(RFC8032_TEST2_SECRET))
    keyring = KeyRing(
        (
            PublishedKey.from_public_key(signer.private_key.public_key(), created_at=NOW.replace(year=2025)),
            PublishedKey.from_public_key(old.private_key.public_key(), created_at=NOW.replace(year=2024)),
        )
    ).mark_compromised(PublishedKey.from_public_key(old.private_key.public_key()).kid, after=compromised_on)
    statuses = StatusList(4)
    statuses.set(1, StatusValue.SUSPENDED)
    status = StatusSnapshot(
        uri="https://verify.mib.gov.bd/status/1",
        statuses=statuses,
        gtin_index={GTIN: 0, OTHER_GTIN: 1},
        batch_index={GTIN: {"001": 2}, OTHER_GTIN: {"001": 3}},
        batch_days={GTIN: {"001": (ISSUED_ON - date(1970, 1, 1)).days - 30}},
        recalled_units={GTIN: frozenset({"001A9E2SE0003"})},
    )
    unregistered = "0950600013436" + compute_check_digit("0950600013436")
    mixed = [
        urls[0],
        "https://verify.mib.gov.bd/01/04006381333932/21/X",  # bad check digit: malformed
        "not a url",
        f"https://{HOST}/01/{GTIN}",  # product label: proves nothing about a unit
        f"https://{HOST}/01/{GTIN}/21/001A9E2SE0001",  # unit label without a signature
        *issue_label_urls(HOST, GTIN, ["001A9E2SE7777"], ISSUED_ON, old),  # signed after the key's compromise
        urls[3],  # recalled unit
        *issue_label_urls(HOST, OTHER_GTIN, ["001A9E2SE0002"], ISSUED_ON, signer),  # suspended licence
        TAMPERINGS["serial"](parse_label_url(urls[5]), old),
        *issue_label_urls(HOST, GTIN, ["009A9E2SE0000"], ISSUED_ON, signer),  # no such batch
        *issue_label_urls(HOST, unregistered, ["001A9E2SE0000"], ISSUED_ON, signer),  # no such product
        *issue_label_urls(HOST, GTIN, ["001A9E2SE0000"], date(2099, 1, 1), signer),  # future-dated
        # dated before the compromise: the list cannot vouch for the serial
        *issue_label_urls(HOST, GTIN, ["001A9E2SE7776"], ISSUED_ON - timedelta(days=3), old),
        urls[6],
    ]
    results = outcomes(mixed, keyring, status)
    assert results == [outcome(url, keyring, status) for url in mixed]
    assert results[0] is None and results[-1] is None
    assert [result[1] for result in results[-6:-1] if result is not None] == [
        Reason.BAD_SIGNATURE.value,
        Reason.SERIAL_NOT_ISSUED.value,
        Reason.PRODUCT_NOT_REGISTERED.value,
        Reason.FUTURE_DATED.value,
        Reason.CHECK_ONLINE.value,
    ]
    assert len({result for result in results if result is not None}) == len(mixed) - 2  # all different


def test_genuine_urls_in_bulk_are_all_genuine_and_parsed_labels_are_accepted(
    urls: list[str], keyring: KeyRing
) -> None:
    assert verify_label_urls(urls, keyring) == [None] * 64
    assert verify_label_urls([parse_label_url(url) for url in urls], keyring.to_jwks()) == [None] * 64
    assert verify_label_urls([], keyring) == []


def test_labels_signed_natively_verify_with_cryptography_and_back(
    signer: Signer, keyring: KeyRing, backend: str
) -> None:
    """The two paths are interchangeable: same signatures, same verdicts."""
    label = parse_label_url(issue_label_urls(HOST, GTIN, ["001A9E2SE0000"], ISSUED_ON, signer)[0])
    message = encode_to_be_signed(label.host, label.gtin, label.serial, ISSUED_ON, signer.key_tag)
    assert label.signature == signer.private_key.sign(message)  # cryptography's own signature
    signer.private_key.public_key().verify(label.signature, message)


# ---------------------------------------------------------------------------------------------- the command


def test_each_line_prints_one_verdict_per_url_and_exits_with_the_first_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], urls: list[str], keyring: KeyRing, signer: Signer
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keyring.to_jwks()))
    status = tmp_path / "status.jwt"
    status.write_text(
        sign_status_list(
            StatusSnapshot(
                uri="https://verify.mib.gov.bd/status/1",
                statuses=StatusList(4),
                gtin_index={GTIN: 0},
                batch_index={GTIN: {"001": 1}},
            ),
            signer,
            now=datetime.now(UTC),
            ttl=timedelta(hours=1),
        )
    )
    lines = tmp_path / "urls.txt"
    tampered = TAMPERINGS["date"](
        parse_label_url(urls[2]), Signer.from_private_key(Ed25519PrivateKey.generate())
    )
    lines.write_text("\n".join([urls[0], "", urls[1], tampered, f"https://{HOST}/01/{GTIN}", urls[3]]) + "\n")
    with_status = ["--jwks", str(jwks), "--status", str(status)]
    code = main(["verify", "--each-line", str(lines), *with_status, "--json"])
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 10  # the first failure (not_genuine) decides, not the later "unknown"
    assert [report["verdict"] for report in reports] == [
        "genuine",
        "genuine",
        "not_genuine",
        "unknown",
        "genuine",
    ]
    assert reports[2] == {
        "url": tampered,
        "verdict": "not_genuine",
        "reason": "bad_signature",
        "detail": "the signature does not match",
    }
    lines.write_text("\n".join(urls) + "\n")
    assert main(["verify", "--each-line", str(lines), *with_status]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 64 and all(line.startswith("genuine\t-\thttps://") for line in out)
    assert main(["verify", "--each-line", str(lines), "--jwks", str(jwks)]) == EXIT_STATUS_NOT_CHECKED == 17
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 64 and all(line.startswith("unknown\tstatus_not_checked\thttps://") for line in out)
    assert main(["verify", "--each-line", str(tmp_path / "none.txt"), "--jwks", str(jwks)]) == 3


def test_each_line_with_an_invalid_status_list_says_so_for_every_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], urls: list[str], keyring: KeyRing
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keyring.to_jwks()))
    lines = tmp_path / "urls.txt"
    lines.write_text("\n".join(urls[:3]))
    status = tmp_path / "status.jwt"
    status.write_text("not.a.token")
    single = main(["verify", urls[0], "--jwks", str(jwks), "--status", str(status), "--json"])
    alone = json.loads(capsys.readouterr().out)
    code = main(["verify", "--each-line", str(lines), "--jwks", str(jwks), "--status", str(status), "--json"])
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == single != 0
    assert [(r["verdict"], r["reason"], r["detail"]) for r in reports] == [
        (alone["verdict"], alone["reason"], alone["detail"])
    ] * 3


def test_a_malformed_url_is_judged_before_the_jwks_is_read_alone_but_bulk_reads_the_jwks_first() -> None:
    from signing import RecordFormatError

    with pytest.raises(VerificationError) as caught:
        verify_label_url("not a url", {"keys": "not a list"})
    assert caught.value.reason is Reason.MALFORMED  # as before bulk verification existed
    with pytest.raises(RecordFormatError):
        verify_label_urls(["not a url"], {"keys": "not a list"})
