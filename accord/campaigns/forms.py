"""Forms for the campaign pages: a campaign, a cost line, and the attribution switch."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from accord.campaigns import attribution
from accord.campaigns.models import Campaign, CampaignChannel, CampaignStatus
from accord.people.models import User


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    channel = forms.ChoiceField(choices=CampaignChannel.choices, initial=CampaignChannel.OTHER)
    status = forms.ChoiceField(choices=CampaignStatus.choices, initial=CampaignStatus.PLANNED)
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    parent = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("name"),
        required=False,
        help_text="Make this a child of another campaign; costs roll up to it.",
    )
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, initial=0)
    currency = forms.CharField(max_length=3, initial="USD")
    utm_campaign = forms.CharField(
        max_length=200,
        required=False,
        help_text="The utm_campaign value in this campaign's links (any case).",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CostLineForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2)
    period_start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(
        label="To (inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a one-day cost; a period is spread evenly per day.",
    )
    note = forms.CharField(max_length=300, required=False)


class CampaignFilterForm(forms.Form):
    channel = forms.ChoiceField(choices=[("", "Any channel"), *CampaignChannel.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *CampaignStatus.choices], required=False)


def _year_start() -> date:
    return timezone.localdate().replace(month=1, day=1)


class AttributionForm(forms.Form):
    model = forms.ChoiceField(
        choices=[(m, attribution.LABELS[m]) for m in attribution.MODELS], initial=attribution.LAST_TOUCH
    )
    group_by = forms.ChoiceField(
        choices=[("campaign", "Campaign"), ("channel", "Channel")], initial="campaign"
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def from_query(cls, data: dict[str, str]) -> AttributionForm:
        values = {
            "model": attribution.LAST_TOUCH,
            "group_by": "campaign",
            "start": _year_start().isoformat(),
            "end": timezone.localdate().isoformat(),
        }
        values.update({k: v for k, v in data.items() if v})
        return cls(values)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data
