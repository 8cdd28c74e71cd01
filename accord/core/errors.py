"""The one error type services raise; the API and pages turn it into a clear message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as ModelValidationError


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


class AccessDenied(ApplicationError):
    """The caller may not do this (Accord's own; Django's ``PermissionDenied`` is a different class)."""

    status_code = 403


class Conflict(ApplicationError):
    status_code = 409


def application_error_from_validation(exc: ModelValidationError) -> ApplicationError:
    """A model's ``ValidationError`` (from ``full_clean()``) as the one application error.

    A service that forgot to translate it must still answer the user with the fields at fault, never
    a 500: the API's exception handler and the pages' middleware both use this.
    """
    detail: dict[str, str] = {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            key = "record" if field == NON_FIELD_ERRORS else field
            detail[key] = " ".join(errors)
    else:
        detail["record"] = " ".join(exc.messages)
    fields = ", ".join(name for name in detail if name != "record")
    where = f" in {fields}" if fields else ""
    summary = "; ".join(
        f"{name}: {problem}" if name != "record" else problem for name, problem in detail.items()
    )
    return ApplicationError(f"The record was not saved: invalid value{where}. {summary}", detail=detail)
