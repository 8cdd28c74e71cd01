"""The form for a new outgoing webhook endpoint."""

from __future__ import annotations

from django import forms

from accord.webhooks.services import EVENT_TYPES


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=120)
    url = forms.CharField(max_length=1000, label="URL", help_text="https://... where Accord posts events.")
    event_types = forms.MultipleChoiceField(
        choices=[(t, f"{t}: {d}") for t, d in EVENT_TYPES.items()], widget=forms.CheckboxSelectMultiple
    )
    allow_private = forms.BooleanField(
        required=False,
        label="Allow a private or loopback address",
        help_text="Only for a service inside your own network. Off, Accord refuses such targets (SSRF).",
    )
