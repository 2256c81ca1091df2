"""Registry errors: one root, ``RegistryError``; the generic HTTP answers are in ``core.errors``."""

from __future__ import annotations

from core.errors import Conflict, ProblemError


class RegistryError(ProblemError):
    status_code = 400
    title = "Bad request"
    slug = "bad-request"
    code = "registry.invalid"


class IllegalTransition(RegistryError, Conflict):
    status_code = 409
    title = "This change is not allowed in the current state"
    slug = "illegal-transition"
    code = "registry.transition"
