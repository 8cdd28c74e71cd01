"""Forms for the deal pages: converting a lead, winning, losing, filtering."""

from __future__ import annotations

from django import forms

from accord.core.currencies import CurrencyField
from accord.core.widgets import DateInput
from accord.deals.models import DealStage


class ConvertForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = CurrencyField()
    name = forms.CharField(
        max_length=255, required=False, help_text="Defaults to the account and the contact's name."
    )
    expected_close = forms.DateField(required=False, widget=DateInput())


class WinForm(forms.Form):
    reason = forms.CharField(required=False, label="Why we won", widget=forms.Textarea(attrs={"rows": 2}))


class LoseForm(forms.Form):
    reason = forms.CharField(label="Why we lost", widget=forms.Textarea(attrs={"rows": 2}))


class DealFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"type": "search"}))
    stage = forms.ChoiceField(choices=[("", "Any stage"), *DealStage.choices], required=False)
    owner = forms.CharField(required=False, help_text="A username or 'me'.")
