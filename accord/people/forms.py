"""Forms for a person's own settings: marking themself away."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.core.widgets import DateInput


class AbsenceForm(forms.Form):
    start = forms.DateField(label="First day away", widget=DateInput())
    end = forms.DateField(label="Last day away", widget=DateInput())
    reason = forms.CharField(max_length=120, required=False, help_text="Optional: holiday, training, …")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last day away comes before the first.")
        return data
