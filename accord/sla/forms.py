"""Forms for SLA pages: the period (and team) filter of scorecards, their CSV and rejection feedback."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from accord.core.errors import ApplicationError
from accord.core.widgets import DateInput
from accord.sla.scorecards import Period, PeriodKind, scorecard_period


class PeriodForm(forms.Form):
    """A calendar month or fiscal quarter containing a day, or any start..end."""

    period = forms.ChoiceField(
        choices=[
            (PeriodKind.QUARTER, "Fiscal quarter"),
            (PeriodKind.MONTH, "Month"),
            (PeriodKind.CUSTOM, "From … to …"),
        ],
        required=False,
    )
    on = forms.DateField(required=False, label="Containing", widget=DateInput())
    start = forms.DateField(required=False, label="From", widget=DateInput())
    end = forms.DateField(required=False, label="To", widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            self.period_value = self._period(data)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return data

    def _period(self, data: dict[str, Any]) -> Period:
        kind = data.get("period") or PeriodKind.QUARTER
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if kind == PeriodKind.CUSTOM or start or end:
            return scorecard_period(kind=PeriodKind.CUSTOM, start=start, end=end)
        return scorecard_period(kind=kind, on=data.get("on"))

    def period_or_default(self) -> Period:
        """The chosen period when the form is valid, else the current fiscal quarter."""
        if self.is_valid():
            return self.period_value
        return scorecard_period(kind=PeriodKind.QUARTER)


class ScorecardFilterForm(PeriodForm):
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Team")

    def __init__(self, *args: Any, teams: list[Any] = (), **kwargs: Any):  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams"), *[(t.pk, str(t)) for t in teams]]
