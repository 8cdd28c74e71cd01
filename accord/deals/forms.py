"""Forms for the deal pages: converting a lead, winning, losing, filtering."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from accord.core.currencies import CurrencyField
from accord.core.widgets import DateInput
from accord.deals.models import DealStage
from accord.deals.pipeline_selectors import BOARD_STAGES
from accord.people.models import User


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


class DealEditForm(forms.Form):
    """The fields of a deal people correct by hand; the products are a formset beside it."""

    name = forms.CharField(
        max_length=255, required=False, help_text="Defaults to the account and the contact."
    )
    amount = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Leave empty when the deal has products: it is then their total.",
    )
    currency = CurrencyField()
    stage = forms.ChoiceField(choices=[(s.value, s.label) for s in BOARD_STAGES])
    expected_close = forms.DateField(required=False, widget=DateInput(), label="Expected close")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=True, empty_label=None)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners.order_by("first_name", "last_name", "username")


class DealNewForm(DealEditForm):
    contact = forms.IntegerField(widget=forms.HiddenInput())


class LineItemForm(forms.Form):
    product = forms.CharField(max_length=200, required=False)
    quantity = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False)
    unit_price = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, label="Unit price"
    )


LineItemFormSet = forms.formset_factory(LineItemForm, extra=3, max_num=100, absolute_max=100)


class BoardMoveForm(forms.Form):
    """The board's stage select: the form a card posts with or without JavaScript."""

    stage = forms.ChoiceField(choices=[(s.value, s.label) for s in BOARD_STAGES])


class ForecastForm(forms.Form):
    period = forms.ChoiceField(
        choices=[("quarter", "Fiscal quarter"), ("month", "Month")], required=False, initial="quarter"
    )
    owner = forms.CharField(required=False, help_text="A username or 'me'.")


class StageProbabilityForm(forms.Form):
    qualification = forms.IntegerField(min_value=0, max_value=100, label="Qualification (%)")
    proposal = forms.IntegerField(min_value=0, max_value=100, label="Proposal (%)")
    negotiation = forms.IntegerField(min_value=0, max_value=100, label="Negotiation (%)")
