"""What the offline verifier reads: every QR code in a photo of a sheet or in a label PDF, one report each;
an SVG, a broken image or a PDF without codes is unreadable input (exit 3), never "not genuine"."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from labels import LabelText, get_layout, write_pdf_sheet
from labels.render import render_png, render_svg
from signing import Signer, issue_label_url
from signing.keys import KeyRing
from signing.offline import main
from tests.signing.test_offline import GTIN, make_status

pdfium = pytest.importorskip("pypdfium2")


@pytest.fixture()
def jwks_file(tmp_path: Path, keyring: KeyRing) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(keyring.to_jwks()))
    return path


@pytest.fixture()
def status_file(tmp_path: Path, signer: Signer) -> Path:
    path = tmp_path / "status.jwt"
    path.write_text(make_status(signer))
    return path


@pytest.fixture()
def genuine(signer: Signer) -> str:
    return issue_label_url("127.0.0.1:5000", GTIN, "001A9E2SE00GK", date.today(), signer)


def tampered(url: str) -> str:
    return url.replace("00GK", "00GM")


def verify(capsys: pytest.CaptureFixture[str], target: Path, jwks: Path, status: Path) -> tuple[int, dict]:
    code = main(["verify", str(target), "--jwks", str(jwks), "--status", str(status), "--json"])
    return code, json.loads(capsys.readouterr().out)


def label_pdf(urls: list[str], layout: str) -> bytes:
    text = LabelText(name_en="Router", name_bn="রাউটার", gtin=GTIN, serial="001A9E2SE00GK")
    out = io.BytesIO()
    write_pdf_sheet(((url, text) for url in urls), out, get_layout(layout))
    return out.getvalue()


def test_every_code_in_a_photo_of_a_sheet_is_verified_in_reading_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, status_file: Path, genuine: str
) -> None:
    sheet = Image.new("L", (1400, 500), 255)
    for column, url in enumerate([genuine, tampered(genuine), genuine]):
        sheet.paste(Image.open(io.BytesIO(render_png(url, module_px=6))), (20 + column * 460, 100))
    path = tmp_path / "sheet.jpg"
    sheet.save(path, quality=90)
    code, body = verify(capsys, path, jwks_file, status_file)
    assert [(r["where"], r["verdict"]) for r in body["codes"]] == [
        ("code 1", "genuine"),
        ("code 2", "not_genuine"),
        ("code 3", "genuine"),
    ]
    assert code == 10  # the first code that is not genuine


def test_every_page_of_a_label_pdf_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, status_file: Path, genuine: str
) -> None:
    path = tmp_path / "roll.pdf"
    path.write_bytes(label_pdf([genuine, genuine, tampered(genuine)], "roll-40x30"))
    code, body = verify(capsys, path, jwks_file, status_file)
    assert [(r["where"], r["verdict"], r["serial"]) for r in body["codes"]] == [
        ("page 1, code 1", "genuine", "001A9E2SE00GK"),
        ("page 2, code 2", "genuine", "001A9E2SE00GK"),
        ("page 3, code 3", "not_genuine", "001A9E2SE00GM"),
    ]
    assert code == 10


def test_one_code_in_a_pdf_gives_the_usual_single_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, status_file: Path, genuine: str
) -> None:
    path = tmp_path / "one.pdf"
    path.write_bytes(label_pdf([genuine], "a4"))
    code, body = verify(capsys, path, jwks_file, status_file)
    assert code == 0
    assert (body["where"], body["verdict"], body["kind"]) == ("page 1", "genuine", "label")


def test_a_sheet_in_plain_text_names_each_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jwks_file: Path, status_file: Path, genuine: str
) -> None:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(label_pdf([genuine, tampered(genuine)], "a4"))
    code = main(["verify", str(path), "--jwks", str(jwks_file), "--status", str(status_file)])
    out = capsys.readouterr().out
    assert code == 10
    assert out.startswith(f"2 QR codes in {path}\n== page 1, code 1 ==\nverdict: genuine\n")
    assert "== page 1, code 2 ==\nverdict: not_genuine\nreason: bad_signature\n" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("label.svg", "svg", "is an SVG drawing"),
        ("label.txt", "svg", "is an SVG drawing"),  # by its content, whatever its name
        ("broken.png", b"\x89PNG\r\n\x1a\n not really", "cannot read image"),
        ("blank.pdf", "blank-pdf", "no readable QR code"),
        ("broken.pdf", b"%PDF-1.7\n garbage", "cannot read PDF"),
    ],
)
def test_unreadable_inputs_are_input_errors_not_verdicts(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    jwks_file: Path,
    genuine: str,
    name: str,
    content: str | bytes,
    message: str,
) -> None:
    path = tmp_path / name
    if content == "svg":
        path.write_text(render_svg(genuine), encoding="utf-8")
    elif content == "blank-pdf":
        path.write_bytes(label_pdf([], "a4"))
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    assert main(["verify", str(path), "--jwks", str(jwks_file), "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
