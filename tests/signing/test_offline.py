"""The offline verifier, as a command and as a function: URL, label image, record file; exit codes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing import (
    AuthenticityRecord,
    KeyRing,
    LicenceStatus,
    Signer,
    StatusList,
    StatusSnapshot,
    StatusValue,
    Verdict,
    VerificationError,
    issue_label_url,
    sign_record,
    sign_status_list,
)
from signing.errors import Reason
from signing.offline import EXIT_CODES, EXIT_STATUS_NOT_CHECKED, InputError, main, verify_target

GTIN = "04006381333931"


@pytest.fixture()
def jwks_file(tmp_path: Path, keyring: KeyRing) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(keyring.to_jwks()))
    return path


@pytest.fixture()
def label(signer: Signer) -> str:
    return issue_label_url("127.0.0.1:5000", GTIN, "001A9E2SE00GK", date.today(), signer)


def make_status(signer: Signer, *, now: datetime | None = None, ttl: timedelta = timedelta(days=1)) -> str:
    """A Status List Token that lists GTIN and its batch 001, all valid."""
    snapshot = StatusSnapshot(
        uri="http://127.0.0.1:5000/status/1",
        statuses=StatusList(4),
        gtin_index={GTIN: 0},
        batch_index={GTIN: {"001": 1}},
    )
    return sign_status_list(snapshot, signer, now=now or datetime.now(UTC), ttl=ttl)


@pytest.fixture()
def status_file(tmp_path: Path, signer: Signer) -> Path:
    path = tmp_path / "status.jwt"
    path.write_text(make_status(signer))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify", *args])
    return code, capsys.readouterr().out


def test_genuine_url_exits_zero_and_says_why(
    capsys: pytest.CaptureFixture[str], jwks_file: Path, status_file: Path, label: str
) -> None:
    code, out = run(capsys, label, "--jwks", str(jwks_file), "--status", str(status_file))
    assert code == 0
    assert "verdict: genuine" in out
    assert "serial: 001A9E2SE00GK" in out


def test_without_a_status_list_a_valid_signature_is_not_called_genuine(
    capsys: pytest.CaptureFixture[str], jwks_file: Path, label: str
) -> None:
    code, out = run(capsys, label, "--jwks", str(jwks_file))
    assert code == EXIT_STATUS_NOT_CHECKED == 17
    assert out.startswith(
        "verdict: unknown\nreason: status_not_checked\nwhy: signature valid, status not checked"
    )
    code, out = run(capsys, label.replace("00GK", "00GM"), "--jwks", str(jwks_file))
    assert code == 10 and "bad_signature" in out  # a forgery is still called one


def test_with_an_expired_status_list_the_verdict_says_the_status_could_not_be_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, signer: Signer, label: str
) -> None:
    stale = tmp_path / "stale.jwt"
    stale.write_text(make_status(signer, now=datetime.now(UTC) - timedelta(days=3)))
    code, out = run(capsys, label, "--jwks", str(jwks_file), "--status", str(stale), "--json")
    report = json.loads(out)
    assert code == EXIT_CODES[Verdict.UNKNOWN] == 15
    assert (report["verdict"], report["reason"]) == ("unknown", "status_list_expired")
    assert "status could not be checked" in report["detail"]
    code, out = run(capsys, label.replace("00GK", "00GM"), "--jwks", str(jwks_file), "--status", str(stale))
    assert code == 10 and "bad_signature" in out


@pytest.mark.parametrize(
    ("gtin", "serial", "verdict", "reason"),
    [
        ("00000096385074", "001A9E2SE00GK", "unknown", "product_not_registered"),
        (GTIN, "007A9E2SE00GK", "not_genuine", "serial_not_issued"),
    ],
)
def test_what_the_status_list_does_not_list_is_not_genuine(
    capsys: pytest.CaptureFixture[str],
    jwks_file: Path,
    status_file: Path,
    signer: Signer,
    gtin: str,
    serial: str,
    verdict: str,
    reason: str,
) -> None:
    url = issue_label_url("127.0.0.1:5000", gtin, serial, date.today(), signer)
    code, out = run(capsys, url, "--jwks", str(jwks_file), "--status", str(status_file), "--json")
    report = json.loads(out)
    assert (report["verdict"], report["reason"]) == (verdict, reason)
    assert code == EXIT_CODES[Verdict(verdict)]


def test_a_future_dated_label_is_refused(
    capsys: pytest.CaptureFixture[str], jwks_file: Path, status_file: Path, signer: Signer
) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    for day, expected in ((tomorrow, 0), (tomorrow + timedelta(days=1), 10)):  # 1 day of clock tolerance
        url = issue_label_url("127.0.0.1:5000", GTIN, "001A9E2SE00GK", day, signer)
        code, out = run(capsys, url, "--jwks", str(jwks_file), "--status", str(status_file))
        assert code == expected, out
    assert "reason: future_dated" in out


def test_tampered_url_exits_with_not_genuine(
    capsys: pytest.CaptureFixture[str], jwks_file: Path, label: str
) -> None:
    code, out = run(capsys, label.replace("00GK", "00GM"), "--jwks", str(jwks_file), "--json")
    assert code == EXIT_CODES[Verdict.NOT_GENUINE] == 10
    report = json.loads(out)
    assert (report["verdict"], report["reason"]) == ("not_genuine", "bad_signature")


def test_label_photo_is_decoded_and_verified(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, status_file: Path, label: str
) -> None:
    image = tmp_path / "label.png"
    code_image = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=3)
    code_image.add_data(label)
    code_image.make(fit=True)
    code_image.make_image().save(image)
    code, out = run(capsys, str(image), "--jwks", str(jwks_file), "--status", str(status_file))
    assert code == 0, out


def test_image_without_a_qr_code_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path
) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)
    assert main(["verify", str(blank), "--jwks", str(jwks_file)]) == 3
    assert "no readable QR code" in capsys.readouterr().err


def test_record_file_verifies_and_a_revoked_record_exits_revoked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, status_file: Path, signer: Signer
) -> None:
    record = AuthenticityRecord(
        product_id="p1",
        gtin=GTIN,
        brand="Walton",
        model="X5",
        manufacturer_id="m1",
        manufacturer_legal_name="Walton PLC",
        licence_status=LicenceStatus.GRANTED,
        valid_from=date(2020, 1, 1),
        valid_until=None,
    )
    path = tmp_path / "record.json"
    path.write_bytes(sign_record(record, signer).to_bytes())
    assert run(capsys, str(path), "--jwks", str(jwks_file), "--status", str(status_file))[0] == 0
    assert run(capsys, str(path), "--jwks", str(jwks_file))[0] == EXIT_STATUS_NOT_CHECKED
    from dataclasses import replace

    path.write_bytes(sign_record(replace(record, licence_status=LicenceStatus.REVOKED), signer).to_bytes())
    code, out = run(capsys, str(path), "--jwks", str(jwks_file))
    assert code == 12 and "verdict: revoked" in out


def test_status_file_suspends_a_genuine_label(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, signer: Signer, label: str
) -> None:
    statuses = StatusList(4)
    statuses.set(0, StatusValue.SUSPENDED)
    snapshot = StatusSnapshot(uri="http://127.0.0.1:5000/status/1", statuses=statuses, gtin_index={GTIN: 0})
    status_file = tmp_path / "status.jwt"
    status_file.write_text(sign_status_list(snapshot, signer, now=datetime.now(UTC), ttl=timedelta(days=1)))
    code, out = run(capsys, label, "--jwks", str(jwks_file), "--status", str(status_file))
    assert code == 11 and "suspended" in out


def test_unknown_key_exits_untrusted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, other_signer: Signer
) -> None:
    from signing import PublishedKey

    jwks = tmp_path / "other.json"
    jwks.write_text(
        json.dumps(KeyRing((PublishedKey.from_public_key(other_signer.private_key.public_key()),)).to_jwks())
    )
    stranger = Signer.from_private_key(Ed25519PrivateKey.generate())
    url = issue_label_url("127.0.0.1:5000", GTIN, "001A9E2SE00GK", date.today(), stranger)
    assert run(capsys, url, "--jwks", str(jwks))[0] == 14


def test_missing_inputs_are_input_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path
) -> None:
    assert main(["verify", str(tmp_path / "nothing.png"), "--jwks", str(jwks_file)]) == 3
    assert main(["verify", "https://x/01/4006381333931", "--jwks", str(tmp_path / "none.json")]) == 3
    with pytest.raises(SystemExit) as caught:
        main(["verify"])
    assert caught.value.code == 2


def test_function_form_raises_or_returns_none(keyring: KeyRing, signer: Signer, label: str) -> None:
    assert verify_target(label, keyring, make_status(signer)) is None
    with pytest.raises(VerificationError) as caught:
        verify_target(label, keyring)
    assert caught.value.reason is Reason.STATUS_NOT_CHECKED
    with pytest.raises(VerificationError):
        verify_target("https://127.0.0.1:5000/01/04006381333931/21/X", keyring)
    with pytest.raises(InputError):
        verify_target("no-such-file.json", keyring)


def test_python_dash_m_signing_runs(jwks_file: Path, status_file: Path, label: str) -> None:
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            sys.executable,
            "-m",
            "signing",
            "verify",
            label,
            "--jwks",
            str(jwks_file),
            "--status",
            str(status_file),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("verdict: genuine")
