"""The offline verifier: a label URL, a photo of a label, or a downloaded record, checked with the published
keys alone (and, if given, a signed status list).

``python -m signing verify <label URL | image file | PDF | record.json | statement.json> --jwks FILE [--status FILE]``
A compliance statement (its JSON file, or the QR link on its PDF) is genuine when the registry signed it with a
key trusted at the time: it attests the bid date, so no status list is needed (``signing.statements``).
``python -m signing verify --each-line urls.txt --jwks FILE [--status FILE]`` (one label URL per line, checked
together with batch signature verification; one verdict per line)

The verifier fails closed: it says ``genuine`` only when the signature is valid *and* a current status list
vouches for the label.  Without ``--status`` a valid signature gives ``unknown`` with reason
``status_not_checked`` (exit 17); with a status list past its expiry, ``unknown`` / ``status_list_expired``
once the signature is found valid.

Exit codes: 0 genuine; 10 not_genuine; 11 suspended; 12 revoked; 13 expired; 14 untrusted_key; 15 unknown;
16 recalled; 17 signature valid, status not checked (no ``--status``); 2 usage; 3 the input could not be
read (missing file, no QR code in the image or PDF, an SVG or another file that is not a photo, a PDF or text).

An image or a PDF may hold many labels (a photo of a sheet, a printed label run): every QR code on it is read
and verified, one report each, in reading order (page by page); the exit code is then that of the first code
that is not genuine, 0 if all are (as with ``--each-line``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gs1.errors import LabelURLError
from signing.detached import verify_detached
from signing.errors import Reason, RecordFormatError, SigningError, Verdict, VerificationError
from signing.keys import KeyRing, coerce_keyring
from signing.labels import LabelURL, parse_label_url, verify_label_url, verify_label_urls
from signing.records import SignedRecord, verify_record
from signing.statements import (
    SignedStatement,
    StatementLink,
    is_statement,
    parse_statement_link,
    verify_statement,
    verify_statement_link,
)
from signing.status import RecalledError, StatusSnapshot, load_status_list
from tlog.errors import TlogError
from tlog.offline import check_log_proof

__all__ = [
    "EXIT_CODES",
    "EXIT_STATUS_NOT_CHECKED",
    "InputError",
    "exit_code_of",
    "load_target",
    "load_targets",
    "main",
    "verify_target",
]

EXIT_CODES: dict[Verdict, int] = {
    Verdict.GENUINE: 0,
    Verdict.NOT_GENUINE: 10,
    Verdict.SUSPENDED: 11,
    Verdict.REVOKED: 12,
    Verdict.EXPIRED: 13,
    Verdict.UNTRUSTED_KEY: 14,
    Verdict.UNKNOWN: 15,
    Verdict.RECALLED: 16,
}
EXIT_STATUS_NOT_CHECKED = 17
EXIT_LOG_NOT_PROVEN = 18  # --checkpoint given, and the log proof does not hold
EXIT_INPUT_ERROR = 3
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
PDF_DPI = 300  # label modules are >= 0.25 mm: 3 pixels at 300 dpi


class InputError(SigningError):
    """The thing to verify could not be read at all."""

    status_code = 400
    title = "Unreadable input"
    code = "offline.input"


@dataclass(frozen=True)
class Target:
    """What was read: the text found and what it parsed to (a label URL or a signed record)."""

    source: str
    item: LabelURL | SignedRecord | SignedStatement | StatementLink | None
    text: str
    parse_error: SigningError | None = None
    where: str | None = None  # "page 2, code 3" when the file held more than one code


def qr_texts(image: Any) -> list[str]:
    """The text of every QR code zxing-cpp finds in a PIL image, in reading order (top to bottom)."""
    # lazy: image and PDF readers load only for the offline verifier's scans
    import zxingcpp

    found = [
        barcode
        for barcode in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
        if barcode.valid
    ]
    found.sort(key=lambda b: (round(b.position.top_left.y / 20), b.position.top_left.x))
    return [str(barcode.text) for barcode in found]


def decode_qr_image(path: Path) -> list[str]:
    """The texts of every QR code in an image file."""
    # lazy: image and PDF readers load only for the offline verifier's scans
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.seek(0)
            texts = qr_texts(image)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(f"cannot read image {path}: {exc}") from exc
    if not texts:
        raise InputError(f"no readable QR code in {path}")
    return texts


def decode_qr_pdf(path: Path) -> list[tuple[int, str]]:
    """(page number from 1, text) of every QR code on every page of a PDF, rendered at PDF_DPI."""
    # lazy: image and PDF readers load only for the offline verifier's scans
    try:
        import pypdfium2
    except ImportError as exc:  # pragma: no cover - a runtime dependency
        raise InputError(f"cannot read PDF {path}: pypdfium2 is not installed") from exc
    found: list[tuple[int, str]] = []
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        raise InputError(f"cannot read PDF {path}: {exc}") from exc
    try:
        for number, page in enumerate(document, start=1):
            bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
            found.extend((number, text) for text in qr_texts(bitmap.to_pil()))
            bitmap.close()
            page.close()
    finally:
        document.close()
    if not found:
        raise InputError(f"no readable QR code in {path}")
    return found


def _kind_of_file(path: Path) -> str:
    """ "image", "pdf", "svg" or "text", by the file's first bytes (its name only as a hint for images)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if head.startswith(b"%PDF-"):
        return "pdf"
    stripped = head.lstrip().lower()
    if (
        path.suffix.lower() in (".svg", ".svgz")
        or stripped.startswith((b"<svg", b"<?xml"))
        or b"<svg" in head
    ):
        return "svg"
    if path.suffix.lower() in _IMAGE_SUFFIXES or head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "image"
    return "text"


def load_targets(target: str | Path) -> list[Target]:
    """Every label or record in `target`: one for a URL, a record or a text file; one per QR code in an
    image or a PDF (``where`` says which, when there is more than one)."""
    text = str(target)
    path = Path(text)
    if text.lower().startswith(("http://", "https://")) or not path.is_file():
        return [load_target(target)]
    kind = _kind_of_file(path)
    if kind == "svg":
        raise InputError(
            f"{path} is an SVG drawing, not a photo or a PDF: the verifier reads what a camera or a printer "
            "sees. Rasterise it first (e.g. rsvg-convert -d 300 -p 300 label.svg -o label.png) or give the PDF"
        )
    if kind == "image":
        texts = [(None, t) for t in decode_qr_image(path)]
    elif kind == "pdf":
        texts = [(page, t) for page, t in decode_qr_pdf(path)]
    else:
        return [load_target(target)]
    many = len(texts) > 1
    targets = []
    for index, (page, found) in enumerate(texts, start=1):
        where = ", ".join(
            part
            for part in (f"page {page}" if page is not None else "", f"code {index}" if many else "")
            if part
        )
        targets.append(_parse_text(str(target), found, where or None))
    return targets


def _parse_text(source: str, text: str, where: str | None = None) -> Target:
    try:
        return Target(source=source, item=parse_label_url(text), text=text, where=where)
    except LabelURLError as exc:
        try:  # the QR code of a compliance statement's PDF
            return Target(source=source, item=parse_statement_link(text), text=text, where=where)
        except LabelURLError:
            return Target(source=source, item=None, text=text, parse_error=exc, where=where)


def _parse_document(source: str, content: str) -> Target:
    """A signed record or a signed compliance statement (told apart by their members)."""
    try:
        parsed = json.loads(content)
    except ValueError:
        parsed = None
    try:
        if is_statement(parsed):
            return Target(source=source, item=SignedStatement.from_json(parsed), text=content)
        return Target(source=source, item=SignedRecord.from_json(content), text=content)
    except RecordFormatError as exc:
        return Target(source=source, item=None, text=content, parse_error=exc)


def load_target(target: str | Path) -> Target:
    """Read a label URL (as text), an image of a label (its first QR code), or a signed record file."""
    text = str(target)
    path = Path(text)
    looks_like_url = text.lower().startswith(("http://", "https://"))
    if not looks_like_url:
        if not path.is_file():
            raise InputError(f"{text} is neither a label URL nor a readable file")
        kind = _kind_of_file(path)
        if kind != "text":
            return load_targets(path)[0]
        else:
            try:
                content = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read {path}: {exc}") from exc
            if content.lstrip().startswith("{"):
                return _parse_document(str(target), content)
            text = content.strip()
    return _parse_text(str(target), text)


def verify_target(
    target: str | Path | Target,
    jwks: KeyRing | Mapping[str, Any],
    status: StatusSnapshot | str | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Return ``None`` if ``target`` is genuine and in force; raise :class:`VerificationError` otherwise.

    ``status`` may be a verified :class:`StatusSnapshot` or the text of a Status List Token.  Without one
    (or with one past its expiry) nothing vouches for the label's status: a valid signature then raises
    ``status_not_checked`` (or ``status_list_expired``), never passes.
    Raises :class:`InputError` if the target cannot be read at all.
    """
    loaded = target if isinstance(target, Target) else load_target(target)
    keyring = coerce_keyring(jwks)
    moment = now or datetime.now(UTC)
    # a compliance statement attests what was true on its bid date: no status list changes that
    if isinstance(loaded.item, SignedStatement):
        verify_statement(loaded.item, keyring, now=moment)
        return
    if isinstance(loaded.item, StatementLink):
        verify_statement_link(loaded.item, keyring, now=moment)
        return
    found = read_status(status, keyring, moment)
    snapshot = found if isinstance(found, StatusSnapshot) else None
    if loaded.item is None:
        raise VerificationError(
            f"not a label URL or signed record: {loaded.parse_error}", reason=Reason.MALFORMED
        )
    if isinstance(loaded.item, SignedRecord):
        verify_record(loaded.item, keyring, snapshot, now=moment)
    else:
        verify_label_url(loaded.item, keyring, snapshot, now=moment)
    if isinstance(found, VerificationError):
        raise found


def read_status(
    status: StatusSnapshot | str | None, keyring: KeyRing, now: datetime
) -> StatusSnapshot | VerificationError:
    """The verified status list, or the error that a label with a valid signature gets without one.

    A list that is malformed, tampered with or signed by an untrusted key raises at once; one past its
    expiry is set aside (returned as the error), so that the label's own signature is still judged."""
    if isinstance(status, StatusSnapshot):
        return status
    if status is None:
        return VerificationError(
            "signature valid, status not checked: give --status with the registry's current status list "
            "(/status/1) to know whether the product is registered and the label not withdrawn",
            reason=Reason.STATUS_NOT_CHECKED,
        )
    try:
        return load_status_list(status, keyring, now=now)
    except VerificationError as exc:
        if exc.reason is not Reason.STATUS_LIST_EXPIRED:
            raise
        return VerificationError(
            f"signature valid, but the status could not be checked: {exc.detail}",
            reason=Reason.STATUS_LIST_EXPIRED,
        )


def describe_recall(error: VerificationError | None) -> dict[str, Any]:
    """``{"recall": {"on", "reason_en", "reason_bn"}}`` for a recall the status list describes, else ``{}``."""
    if not isinstance(error, RecalledError) or error.recall is None:
        return {}
    recall = error.recall
    return {
        "recall": {"on": recall.on.isoformat(), "reason_en": recall.reason_en, "reason_bn": recall.reason_bn}
    }


def exit_code_of(error: VerificationError | None) -> int:
    """The process exit code for one verdict (``None``: genuine)."""
    if error is None:
        return EXIT_CODES[Verdict.GENUINE]
    if error.reason is Reason.STATUS_NOT_CHECKED:
        return EXIT_STATUS_NOT_CHECKED
    return EXIT_CODES[error.verdict]


def describe(target: Target) -> dict[str, Any]:
    item = target.item
    if isinstance(item, LabelURL):
        return {
            "kind": "label",
            "gtin": item.gtin,
            "serial": item.serial,
            "host": item.host,
            "issued_on": item.issued_on.isoformat() if item.issued_on else None,
            "key_tag": item.key_tag.hex() if item.key_tag else None,
        }
    if isinstance(item, SignedRecord):
        record = item.record
        return {
            "kind": "record",
            "gtin": record.gtin,
            "brand": record.brand,
            "model": record.model,
            "manufacturer": record.manufacturer_legal_name,
            "licence": record.licence_status.value,
            "valid_until": record.valid_until.isoformat() if record.valid_until else None,
            "kid": record.kid,
        }
    if isinstance(item, SignedStatement):
        statement = item.statement
        return {
            "kind": "compliance-statement",
            "id": item.id,
            "bid_date": statement["bid_date"],
            "checked_at": statement["checked_at"],
            "lines": len(statement["lines"]),
            "live_status": statement["url"],
            "sha256": item.digest,
            "kid": item.kid,
        }
    if isinstance(item, StatementLink):
        return {
            "kind": "compliance-statement-link",
            "live_status": item.url,
            "issued_on": item.issued_on.isoformat(),
            "sha256": item.digest,
        }
    return {"kind": "unreadable", "text": target.text[:200]}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signing", description="Verify registry labels offline.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a label URL, a label image or a signed record")
    verify.add_argument(
        "target",
        help="a label URL, an image or PDF with QR codes, a record or compliance statement .json file, or a "
        "statement's QR link",
    )
    verify.add_argument("--jwks", required=True, type=Path, help="the registry's published JWKS (jwks.json)")
    verify.add_argument("--status", type=Path, help="a Status List Token file for offline revocation")
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON")
    verify.add_argument(
        "--checkpoint", type=Path, help="a transparency-log checkpoint to check the entry against"
    )
    verify.add_argument(
        "--log-proof", type=Path, help="the log entry and its inclusion proof (JSON), with --checkpoint"
    )
    verify.add_argument(
        "--each-line",
        action="store_true",
        help="the target is a text file of label URLs, one per line: print one verdict per line (JSON lines "
        "with --json); the exit code is that of the first line that is not genuine, 0 if all are",
    )
    verify.add_argument(
        "--signature",
        type=Path,
        help="a detached signature (.jws) of the target file, e.g. an open data snapshot file: genuine when "
        "the registry signed exactly these bytes under this file's published name (see --name)",
    )
    verify.add_argument(
        "--name",
        help="with --signature: the file's published name, DAY/FILE (default: the target's folder and name)",
    )
    return parser


def verify_detached_file(
    target: Path, signature: Path, keyring: KeyRing, name: str | None, *, as_json: bool
) -> int:
    """``--signature``: check a file against its detached signature; report like a label or a record."""
    try:
        data, jws = target.read_bytes(), signature.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    expected = name or f"{target.parent.name}/{target.name}"
    error: VerificationError | None = None
    header: dict[str, Any] = {}
    try:
        header = verify_detached(data, jws, keyring, name=expected)
    except VerificationError as exc:
        error = exc
    report = {
        "verdict": error.verdict.value if error else Verdict.GENUINE.value,
        "reason": error.reason.value if error else None,
        "detail": error.detail if error else f"the registry signed exactly these bytes as {expected}",
        "file": str(target),
        "kid": header.get("kid"),
        "name": header.get("name"),
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return exit_code_of(error)


def verify_url_lines(
    lines: Sequence[str], keyring: KeyRing, status: str | None, *, as_json: bool, now: datetime | None = None
) -> int:
    """``--each-line``: every non-empty line is a label URL; all are checked with one batch verification."""
    urls = [line.strip() for line in lines if line.strip()]
    moment = now or datetime.now(UTC)
    exit_code = EXIT_CODES[Verdict.GENUINE]
    try:
        found = read_status(status, keyring, moment)
    except VerificationError as exc:  # an unusable status list says the same about every line
        errors: list[VerificationError | None] = [exc] * len(urls)
    else:
        snapshot = found if isinstance(found, StatusSnapshot) else None
        errors = verify_label_urls(urls, keyring, snapshot, now=moment)
        if isinstance(found, VerificationError):
            errors = [found if error is None else error for error in errors]
    for url, error in zip(urls, errors, strict=True):
        verdict, reason, detail = Verdict.GENUINE, None, GENUINE_DETAIL
        if error is not None:
            verdict, reason, detail = error.verdict, error.reason.value, error.detail
            if exit_code == EXIT_CODES[Verdict.GENUINE]:
                exit_code = exit_code_of(error)
        if as_json:
            report = {"url": url, "verdict": verdict.value, "reason": reason, "detail": detail}
            print(json.dumps(report | describe_recall(error), ensure_ascii=False))
        else:
            print(f"{verdict.value}\t{reason or '-'}\t{url}")
    return exit_code


GENUINE_DETAIL = "signed by the registry, and the status list vouches for it"
STATEMENT_DETAIL = (
    "signed by the registry: the statement says what was true on its bid date; later changes to a listed "
    "product's licence are on its live status page"
)


def report_of(target: Target, keyring: KeyRing, status: str | None) -> tuple[dict[str, Any], int]:
    """The verdict report of one label or record and its exit code."""
    statement = isinstance(target.item, SignedStatement | StatementLink)
    verdict, reason, detail = Verdict.GENUINE, None, STATEMENT_DETAIL if statement else GENUINE_DETAIL
    error: VerificationError | None = None
    try:
        verify_target(target, keyring, status)
    except VerificationError as exc:
        error = exc
        verdict, reason, detail = exc.verdict, exc.reason.value, exc.detail
    where = {"where": target.where} if target.where else {}
    report = {**where, "verdict": verdict.value, "reason": reason, "detail": detail, **describe_recall(error)}
    return report | describe(target), exit_code_of(error)


def print_report(report: dict[str, Any]) -> None:
    if report.get("where"):
        print(f"== {report['where']} ==")
    print(f"verdict: {report['verdict']}")
    if report["reason"]:
        print(f"reason: {report['reason']}")
    print(f"why: {report['detail']}")
    recall = report.get("recall")
    if recall:
        print(f"recalled on: {recall['on']}")
        print(f"recall reason: {recall['reason_en']}")
        print(f"প্রত্যাহারের কারণ: {recall['reason_bn']}")
    skip = {"where", "verdict", "reason", "detail", "recall"}
    for name, value in report.items():
        if name not in skip and value is not None:
            print(f"{name}: {value}")


def with_log_proof(
    result: tuple[dict[str, Any], int], target: Target, jwks: Any, args: argparse.Namespace
) -> tuple[dict[str, Any], int]:
    """``--checkpoint``: add whether the target's log entry is in that checkpoint's tree (tlog.offline)."""
    report, code = result
    item = target.item
    gtin = item.record.gtin if isinstance(item, SignedRecord) else getattr(item, "gtin", "")
    try:
        if args.log_proof is None:
            raise InputError("--checkpoint needs --log-proof: the log entry and proof of this record")
        proven = check_log_proof(
            gtin,
            item.to_bytes() if isinstance(item, SignedRecord) else None,
            json.loads(args.log_proof.read_text(encoding="utf-8")),
            args.checkpoint.read_text(encoding="utf-8"),
            jwks,
        )
    except (OSError, ValueError, TlogError, SigningError) as exc:
        return report | {"log": f"not proven: {exc}"}, code or EXIT_LOG_NOT_PROVEN
    return report | {
        "log": f"entry {proven['log_index']} of {proven['origin']} at size {proven['tree_size']}"
    }, code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the offline verifier; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        jwks = json.loads(args.jwks.read_text(encoding="utf-8"))
        keyring = KeyRing.from_jwks(jwks)
        if args.signature is not None:
            return verify_detached_file(
                Path(args.target), args.signature, keyring, args.name, as_json=args.json
            )
        status = args.status.read_text(encoding="utf-8").strip() if args.status else None
        if args.each_line:
            lines = Path(args.target).read_text(encoding="utf-8").splitlines()
        else:
            targets = load_targets(args.target)
    except (OSError, ValueError, SigningError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    if args.each_line:
        return verify_url_lines(lines, keyring, status, as_json=args.json)
    results = [report_of(target, keyring, status) for target in targets]
    if args.checkpoint:
        results = [
            with_log_proof(result, target, jwks, args)
            for result, target in zip(results, targets, strict=True)
        ]
    reports = [report for report, _ in results]
    exit_code = next((code for _, code in results if code != EXIT_CODES[Verdict.GENUINE]), 0)
    if args.json:  # one code: its report, as always; several: every report, in reading order
        body = reports[0] if len(reports) == 1 else {"source": args.target, "codes": reports}
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        if len(reports) > 1:
            print(f"{len(reports)} QR codes in {args.target}")
        for report in reports:
            print_report(report)
    return exit_code
