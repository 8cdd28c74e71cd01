"""Forms for the queue page and the team settings: assigning leads, a team's hours, a rep's capacity,
a holiday and an absence. Each form checks its input; the services check who may do it."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accord.core.widgets import DateInput
from accord.people.forms import AbsenceForm
from accord.people.models import Role, TeamKind, User

WEEKDAYS = [("1", "Mon"), ("2", "Tue"), ("3", "Wed"), ("4", "Thu"), ("5", "Fri"), ("6", "Sat"), ("7", "Sun")]


class AssignForm(forms.Form):
    """Leads ticked on the queue page (or one lead from its page) and whom they go to."""

    leads = forms.TypedMultipleChoiceField(
        coerce=int, label="Leads", error_messages={"required": "Tick at least one lead."}
    )
    to = forms.TypedChoiceField(coerce=int, label="Give to")
    reason = forms.CharField(max_length=500, required=False, label="Reason (optional)")

    def __init__(self, *args: Any, assignees: list[User], lead_ids: list[int] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to"]).choices = [(u.pk, str(u)) for u in assignees]
        # Any id may be ticked; the service answers for each one (seen, still waiting, yours to assign).
        cast(forms.ChoiceField, self.fields["leads"]).choices = [(str(i), str(i)) for i in (lead_ids or [])]

    def clean_leads(self) -> list[int]:
        return [int(i) for i in self.cleaned_data["leads"]]


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=TeamKind.choices, label="Organised by")
    segment = forms.CharField(
        max_length=120, required=False, help_text="The vertical, customer group or territory."
    )
    manager = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    time_zone = forms.CharField(
        max_length=64, initial="UTC", help_text="e.g. Europe/London, America/New_York."
    )
    work_start = forms.TimeField(label="Working day starts", widget=forms.TimeInput(attrs={"type": "time"}))
    work_end = forms.TimeField(label="Working day ends", widget=forms.TimeInput(attrs={"type": "time"}))
    workdays = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        label="Working days",
        initial=["1", "2", "3", "4", "5"],
    )

    def __init__(self, *args: Any, can_choose_manager: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["manager"]).queryset = (
            User.objects.filter(is_active=True, roles__role__in=[Role.SALES_MANAGER, Role.SALES_HEAD])
            .distinct()
            .order_by("first_name", "username")
        )
        if not can_choose_manager:
            self.fields["manager"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("work_start"), data.get("work_end")
        if start and end and end <= start:
            self.add_error("work_end", "The working day must end after it starts.")
        return data


class CapacityForm(forms.Form):
    daily_limit = forms.IntegerField(min_value=0, max_value=1000, required=False, label="Per day")
    weekly_limit = forms.IntegerField(min_value=0, max_value=5000, required=False, label="Per week")
    weight = forms.IntegerField(min_value=1, max_value=100, initial=1, label="Round-robin weight")
    accepts_leads = forms.BooleanField(required=False, initial=True, label="Takes new leads")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        daily, weekly = data.get("daily_limit"), data.get("weekly_limit")
        if daily is not None and weekly is not None and weekly < daily:
            self.add_error("weekly_limit", "The weekly limit is below the daily one.")
        return data


class HolidayForm(forms.Form):
    day = forms.DateField(widget=DateInput())
    name = forms.CharField(max_length=120, required=False)


class MemberAbsenceForm(AbsenceForm):
    """An absence a manager records for someone on their team."""

    person = forms.TypedChoiceField(coerce=int, label="Who")

    field_order = ["person", "start", "end", "reason"]

    def __init__(self, *args: Any, people: list[User], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [(u.pk, str(u)) for u in people]
