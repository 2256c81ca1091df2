"""Certificate evidence files: typed by content (never by name or declared type), size-limited,
stored content-addressed in the shared blob store (``evidence/<sha256>``, in the same transaction as the
record that names them), audited. ``evidence_importer`` moves files an older release kept under
``<instance>/evidence/`` into the store (``flask blobs import-files``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.audit import record_event
from core.blobs import DatabaseBlobStore
from core.blobs_cli import Importer
from core.errors import PayloadTooLarge, ValidationFailed
from core.media import HEAD_BYTES, sniff_media_type
from registry.models import Certificate, CompanyDocument

EVIDENCE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
SUFFIXES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


log = logging.getLogger("registry.evidence")
EVIDENCE_PREFIX = "evidence"
SHA256_NAME = re.compile(r"[0-9a-f]{64}")


def evidence_key(digest: str) -> str:
    """The blob key of an evidence file (certificate evidence and company documents alike)."""
    return f"{EVIDENCE_PREFIX}/{digest}"


def store_file(data: bytes, *, session: Session, blobs: DatabaseBlobStore, limit: int) -> tuple[str, str]:
    """Check ``data`` (read with at most ``limit + 1`` bytes) and keep it content-addressed; returns its
    SHA-256 and media type. Raises 413 or 422 naming the field ``file``."""
    if len(data) > limit:
        raise PayloadTooLarge(
            f"evidence files are at most {limit // 1024 // 1024} MB",
            errors=[{"field": "file", "reason": f"larger than {limit} bytes"}],
        )
    if not data:
        raise ValidationFailed.field("file", "the file is empty")
    media_type = sniff_media_type(data[:HEAD_BYTES], EVIDENCE_TYPES)
    if media_type is None:
        raise ValidationFailed(
            "the evidence must be a PDF, JPEG or PNG file",
            errors=[{"field": "file", "reason": "content is not PDF, JPEG or PNG"}],
        )
    info = blobs.put_content_addressed(EVIDENCE_PREFIX, data, media_type, session)
    return info.sha256, media_type


def attach_evidence(
    session: Session,
    actor: object,
    certificate: Certificate,
    data: bytes,
    filename: str,
    *,
    blobs: DatabaseBlobStore,
    limit: int,
) -> None:
    """Check and store ``data`` (read with at most ``limit + 1`` bytes) as the certificate's evidence."""
    digest, media_type = store_file(data, session=session, blobs=blobs, limit=limit)
    before = {"sha256": certificate.evidence_sha256}
    certificate.evidence_sha256 = digest
    certificate.evidence_media_type = media_type
    certificate.evidence_size = len(data)
    certificate.evidence_filename = (filename or "evidence")[:255]
    record_event(
        session,
        actor=actor,
        action="certificate.evidence",
        target_type="certificate",
        target_id=certificate.id,
        before=before,
        after={"sha256": digest, "media_type": media_type, "size": len(data)},
    )


COMPANY_DOCUMENT_KINDS = ("trade_licence", "bin_certificate", "tin_certificate")


def attach_company_document(
    session: Session,
    actor: Any,
    manufacturer_id: int,
    kind: str,
    data: bytes,
    filename: str,
    *,
    blobs: DatabaseBlobStore,
    limit: int,
) -> CompanyDocument:
    """Keep one of the company's own papers for the reviewer (stored and checked as certificate evidence is)."""
    if kind not in COMPANY_DOCUMENT_KINDS:
        raise ValidationFailed.field("kind", f"one of {', '.join(COMPANY_DOCUMENT_KINDS)}")
    digest, media_type = store_file(data, session=session, blobs=blobs, limit=limit)
    doc = CompanyDocument(
        manufacturer_id=manufacturer_id,
        kind=kind,
        sha256=digest,
        media_type=media_type,
        size=len(data),
        filename=(filename or kind)[:255],
        uploaded_by_id=getattr(getattr(actor, "user", None), "id", None),
    )
    session.add(doc)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="manufacturer.document",
        target_type="manufacturer",
        target_id=manufacturer_id,
        after={
            "kind": kind,
            "sha256": digest,
            "media_type": media_type,
            "size": len(data),
            "document_id": doc.id,
        },
    )
    return doc


def evidence_importer(instance_path: str | Path, blobs: DatabaseBlobStore) -> Importer:
    """Files under ``<instance>/evidence/`` (named by their SHA-256) into the store; each file is removed
    once its blob is complete and its content matched its name (a file that does not match stays, logged)."""
    folder = Path(instance_path) / "evidence"

    def pending() -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and SHA256_NAME.fullmatch(p.name))

    def move(path: Path) -> int | None:
        key = evidence_key(path.name)
        if blobs.stat(key) is None:
            with path.open("rb") as fh:
                media_type = (
                    sniff_media_type(fh.read(HEAD_BYTES), EVIDENCE_TYPES) or "application/octet-stream"
                )
                fh.seek(0)
                info = blobs.put(key, fh, media_type)
            if info.sha256 != path.name:
                blobs.delete(key)
                log.warning("evidence file %s does not match its name; left in place", path)
                return None
        size = path.stat().st_size
        path.unlink()
        return size

    return Importer("evidence", pending, move)
