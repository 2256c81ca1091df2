"""Interoperability: the GS1-Conformant resolver on the label URLs (linksets, ``linkType`` redirects, the
description file, 400 for malformed Digital Link URIs) and the signed product passports with their export.

It sits above signing and registry and hooks into signing's label route through one extension point,
``app.extensions["signing.resolver"]`` (signing never imports this package)."""

from __future__ import annotations

from typing import Any

from interop.views import bp, resolve_label

__all__ = ["init_app"]


def init_app(app: Any) -> None:
    """Wire the resolver and the passports in: the blueprint, and the resolver in front of the verdict."""
    app.register_blueprint(bp)
    app.extensions["signing.resolver"] = resolve_label
