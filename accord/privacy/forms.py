"""Forms of the privacy pages."""

from __future__ import annotations

from django import forms


class ExportForm(forms.Form):
    email = forms.EmailField(label="Email address")


class EraseForm(forms.Form):
    email = forms.EmailField(label="Email address", required=False)
    lead_id = forms.IntegerField(label="or lead id", required=False, min_value=1)
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.CharField(label="Type ERASE to confirm", max_length=10)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not data.get("email") and not data.get("lead_id"):
            raise forms.ValidationError("Give an email address or a lead id.")
        if (data.get("confirm") or "").strip() != "ERASE":
            self.add_error("confirm", "Type ERASE (capitals) to confirm: erasure cannot be undone.")
        return data


class TrashForm(forms.Form):
    reason = forms.CharField(max_length=255, required=False)
