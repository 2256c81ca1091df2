"""Certificate evidence files: typed by content (never by name or declared type), size-limited,
stored content-addressed under the instance folder, written atomically, audited."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.audit import record_event
from core.errors import PayloadTooLarge, ValidationFailed
from core.media import HEAD_BYTES, sniff_media_type
from registry.models import Certificate, CompanyDocument

EVIDENCE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
SUFFIXES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def evidence_path(instance_path: str | Path, digest: str) -> Path:
    return Path(instance_path) / "evidence" / digest


def store_file(data: bytes, *, instance_path: str | Path, limit: int) -> tuple[str, str]:
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
    digest = hashlib.sha256(data).hexdigest()
    target = evidence_path(instance_path, digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # never a half-written file under its final name
    return digest, media_type


def attach_evidence(
    session: Session,
    actor: object,
    certificate: Certificate,
    data: bytes,
    filename: str,
    *,
    instance_path: str | Path,
    limit: int,
) -> None:
    """Check and store ``data`` (read with at most ``limit + 1`` bytes) as the certificate's evidence."""
    digest, media_type = store_file(data, instance_path=instance_path, limit=limit)
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
    instance_path: str | Path,
    limit: int,
) -> CompanyDocument:
    """Keep one of the company's own papers for the reviewer (stored and checked as certificate evidence is)."""
    if kind not in COMPANY_DOCUMENT_KINDS:
        raise ValidationFailed.field("kind", f"one of {', '.join(COMPANY_DOCUMENT_KINDS)}")
    digest, media_type = store_file(data, instance_path=instance_path, limit=limit)
    doc = CompanyDocument(manufacturer_id=manufacturer_id, kind=kind, sha256=digest, media_type=media_type,
                          size=len(data), filename=(filename or kind)[:255],
                          uploaded_by_id=getattr(getattr(actor, "user", None), "id", None))
    session.add(doc)
    session.flush()
    record_event(session, actor=actor, action="manufacturer.document", target_type="manufacturer",
                 target_id=manufacturer_id, after={"kind": kind, "sha256": digest, "media_type": media_type,
                                                   "size": len(data), "document_id": doc.id})
    return doc
