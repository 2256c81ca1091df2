"""What a file is, judged by its first bytes (never by its name or the type a client declares): one table of
signatures for every upload (certificate evidence, consumer report photos)."""

from __future__ import annotations

from collections.abc import Collection

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")  # lossy, lossless, extended: the first chunk of every WebP file
HEAD_BYTES = 16  # enough of a file to tell every type above


def sniff_media_type(head: bytes, accepted: Collection[str]) -> str | None:
    """The media type ``head`` (a file's first bytes) announces, if it is one of ``accepted``; else None.

    RIFF is a container (WAV and AVI are RIFF too): a WebP is ``RIFF <size> WEBP`` followed by a VP8,
    VP8L or VP8X chunk."""
    found = next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)
    if found is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in WEBP_CHUNKS:
        found = "image/webp"
    return found if found in accepted else None
