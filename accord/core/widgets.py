"""The one date input every form uses, following ACCORD_DATE_FORMAT (see config/settings.py).

``<input type="date">`` holds an ISO value but shows it in the browser's locale (mm/dd/yyyy in an
American browser), whatever the pages around it show. With ``iso`` the input is a text field taking
and showing YYYY-MM-DD, as every table does; with ``locale`` it is the browser's date picker, whose
locale display matches the pages' short locale dates.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

ISO_PATTERN = r"\d{4}-\d{2}-\d{2}"


class DateInput(forms.DateInput):
    """A date in the configured convention; the value sent is always YYYY-MM-DD."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = dict(attrs or {})
        if settings.ACCORD_DATE_FORMAT == "iso":
            self.input_type = "text"
            attrs.setdefault("placeholder", "YYYY-MM-DD")
            attrs.setdefault("pattern", ISO_PATTERN)
            attrs.setdefault("inputmode", "numeric")
            attrs.setdefault("title", "A date written YYYY-MM-DD, e.g. 2026-12-06")
        else:
            self.input_type = "date"
        return super().get_context(name, value, attrs)
