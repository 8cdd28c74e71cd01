"""The one error type services raise; the API and pages turn it into a clear message."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A request that cannot be carried out, with a message a person can act on.

    ``detail`` names the fields at fault, e.g. ``{"email": "is not a valid address"}``.
    """

    status_code = 400

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail or {}
        if status is not None:
            self.status_code = status


class NotFound(ApplicationError):
    status_code = 404


class PermissionDenied(ApplicationError):
    status_code = 403


class Conflict(ApplicationError):
    status_code = 409
