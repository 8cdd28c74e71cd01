"""The filter form of the audit page (the API takes the same fields)."""

from __future__ import annotations

from django import forms

from accord.audit.models import AuditChannel, ChangeAction
from accord.audit.selectors import ChangeFilters
from accord.core.widgets import DateInput


class ChangeFilterForm(forms.Form):
    object_type = forms.ChoiceField(required=False, label="Object")
    object_id = forms.CharField(required=False, max_length=64, label="Id")
    actor = forms.CharField(required=False, max_length=150, label="By (username)")
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *AuditChannel.choices])
    action = forms.ChoiceField(required=False, choices=[("", "Any"), *ChangeAction.choices])
    since = forms.DateField(required=False, label="From", widget=DateInput())
    until = forms.DateField(required=False, label="To", widget=DateInput())

    def __init__(self, *args: object, object_types: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["object_type"].choices = [("", "Any")] + [(t, t) for t in object_types]

    def filters(self) -> ChangeFilters:
        if not self.is_valid():
            return ChangeFilters()
        d = self.cleaned_data
        return ChangeFilters(
            object_type=d["object_type"] or "", object_id=(d["object_id"] or "").strip(),
            actor=(d["actor"] or "").strip(), channel=d["channel"] or "", action=d["action"] or "",
            since=d["since"], until=d["until"],
        )  # fmt: skip
