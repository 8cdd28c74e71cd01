"""Forms for the campaign pages: a campaign, a cost line, the attribution switch, and communications."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.campaigns import attribution
from accord.campaigns.models import (
    Audience,
    Campaign,
    CampaignChannel,
    CampaignStatus,
    CommunicationKind,
    Outcome,
    SuccessMetric,
)
from accord.core.calendar import fiscal_quarter_current
from accord.core.currencies import CurrencyField
from accord.core.widgets import DateInput
from accord.leads.models import Stage
from accord.people.models import User


class CampaignForm(forms.Form):
    """A campaign's fields, each with the label a person reads (not the field's name)."""

    name = forms.CharField(label="Name", max_length=200)
    channel = forms.ChoiceField(
        label="Channel", choices=CampaignChannel.choices, initial=CampaignChannel.OTHER
    )
    status = forms.ChoiceField(label="Status", choices=CampaignStatus.choices, initial=CampaignStatus.PLANNED)
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label="— nobody yet —",
    )
    parent = forms.ModelChoiceField(
        label="Parent campaign",
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label="— none: a top-level campaign —",
        help_text="Make this a child of another campaign; costs roll up to it.",
    )
    start_date = forms.DateField(label="Starts", required=False, widget=DateInput())
    end_date = forms.DateField(label="Ends", required=False, widget=DateInput())
    budget = forms.DecimalField(label="Budget", max_digits=14, decimal_places=2, min_value=0, initial=0)
    currency = CurrencyField(help_text="Costs and budget count in it; a child campaign uses its parent's.")
    utm_campaign = forms.CharField(
        label="UTM campaign",
        max_length=200,
        required=False,
        help_text="The utm_campaign value in this campaign's links (any case).",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_launch = forms.BooleanField(
        label="This is a launch (asks for sales' attention)",
        required=False,
        help_text="Launches are on the launch calendar; avoid a quarter's last month and a month's last week.",
    )
    override_reason = forms.CharField(
        label="Why launch at a quarter or month end anyway",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when the launch starts in a quarter's last month or a month's last week; sales sees it.",
    )
    benefit_for_sales = forms.CharField(
        label="What's in it for sales",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One sentence reps will read; required before a launch goes live.",
    )


class CostLineForm(forms.Form):
    amount = forms.DecimalField(label="Amount", max_digits=14, decimal_places=2)
    period_start = forms.DateField(label="From", widget=DateInput())
    period_end = forms.DateField(
        label="To (inclusive)",
        required=False,
        widget=DateInput(),
        help_text="Leave empty for a one-day cost; a period is spread evenly per day.",
    )
    note = forms.CharField(label="Note", max_length=300, required=False)


class CampaignFilterForm(forms.Form):
    channel = forms.ChoiceField(choices=[("", "Any channel"), *CampaignChannel.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *CampaignStatus.choices], required=False)


class AttributionForm(forms.Form):
    model = forms.ChoiceField(
        choices=[(m, attribution.LABELS[m]) for m in attribution.MODELS], initial=attribution.LAST_TOUCH
    )
    group_by = forms.ChoiceField(
        choices=[("campaign", "Campaign"), ("channel", "Channel")], initial="campaign"
    )
    start = forms.DateField(widget=DateInput())
    end = forms.DateField(widget=DateInput())

    # Which period the page shows when it names a fiscal quarter (the default, as the API's).
    period_label = ""

    @classmethod
    def from_query(cls, data: dict[str, str]) -> AttributionForm:
        """The query's values; without start and end, the current fiscal quarter (as the API)."""
        quarter = fiscal_quarter_current()
        values = {
            "model": attribution.LAST_TOUCH,
            "group_by": "campaign",
            "start": quarter.first.isoformat(),
            "end": quarter.last.isoformat(),
        }
        given = {k: v for k, v in data.items() if v}
        values.update(given)
        form = cls(values)
        if "start" not in given and "end" not in given:
            form.period_label = quarter.label
        return form

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data


VARIANT_FORM_KEYS = "ABCD"
COMMUNICATION_FORM_FIELDS = (
    "name",
    "kind",
    "subject",
    "body",
    "success_metric",
    "success_window_days",
    "audience",
    "audience_stage",
)


class CommunicationForm(forms.Form):
    """A communication and up to four variants (A is the control; B-D are used when they have text)."""

    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=CommunicationKind.choices, initial=CommunicationKind.EMAIL)
    subject = forms.CharField(
        max_length=300, required=False, help_text="Used by every variant without a subject of its own."
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Placeholders {first_name}, {last_name}, {company}. Web links are tracked per recipient.",
    )
    success_metric = forms.ChoiceField(
        label="Judged on", choices=SuccessMetric.choices, initial=SuccessMetric.CLICK
    )
    success_window_days = forms.IntegerField(label="Within (days)", min_value=1, max_value=365, initial=14)
    audience = forms.ChoiceField(choices=Audience.choices, initial=Audience.CAMPAIGN)
    audience_stage = forms.ChoiceField(
        label="Only stage", choices=[("", "Any stage"), *Stage.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in VARIANT_FORM_KEYS:
            low = key.lower()
            self.fields[f"{low}_subject"] = forms.CharField(
                label=f"Variant {key} subject", max_length=300, required=False
            )
            self.fields[f"{low}_body"] = forms.CharField(
                label=f"Variant {key} body", required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields[f"{low}_weight"] = forms.IntegerField(
                label=f"Variant {key} weight", min_value=1, max_value=1000, initial=1, required=False
            )

    def communication_fields(self) -> list[Any]:
        """The bound fields of the communication itself (not its variants), for the template."""
        return [self[name] for name in COMMUNICATION_FORM_FIELDS]

    def variant_rows(self) -> list[list[Any]]:
        """The variant fields grouped per variant, for the template."""
        return [
            [self[f"{k.lower()}_subject"], self[f"{k.lower()}_body"], self[f"{k.lower()}_weight"]]
            for k in VARIANT_FORM_KEYS
        ]

    def communication_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in COMMUNICATION_FORM_FIELDS}

    def variant_specs(self) -> list[Any]:
        """A always; B, C, D when they have a subject or a body, in order (a gap is closed up)."""
        from accord.campaigns.communication_services import VariantSpec

        data = self.cleaned_data
        specs = []
        for i, key in enumerate(VARIANT_FORM_KEYS):
            low = key.lower()
            subject, body = data.get(f"{low}_subject") or "", data.get(f"{low}_body") or ""
            if i == 0 or subject or body:
                specs.append(VariantSpec(subject=subject, body=body, weight=data.get(f"{low}_weight") or 1))
        return specs

    @classmethod
    def initial_for(cls, communication: Any) -> dict[str, Any]:
        initial = {name: getattr(communication, name) for name in COMMUNICATION_FORM_FIELDS}
        for v in communication.variants.order_by("key"):
            low = v.key.lower()
            initial.update({f"{low}_subject": v.subject, f"{low}_body": v.body, f"{low}_weight": v.weight})
        return initial


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="Send at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class OutcomeForm(forms.Form):
    lead_id = forms.IntegerField()
    outcome = forms.ChoiceField(choices=Outcome.choices)
