"""Forms for the lead pages: list filters, a manual stage change, editing a lead, a new intake source."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.leads.models import SourceKind, Stage
from accord.leads.selectors import LeadFilters


class LeadFilterForm(forms.Form):
    """The list page's filters; they become the same ``LeadFilters`` the API uses."""

    q = forms.CharField(
        required=False,
        label="Search",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, email or company"}),
    )
    stage = forms.ChoiceField(required=False, choices=[("", "Any stage"), *Stage.choices])
    source = forms.ChoiceField(required=False, choices=[("", "Any source")])
    owner = forms.ChoiceField(required=False, choices=[("", "Anyone"), ("me", "Me"), ("none", "Unassigned")])
    # Set by an import's result page ("the leads this import created"); kept while filtering.
    import_job = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(
        self, *args: object, source_names: list[str], owner_names: list[tuple[str, str]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Any source"), *[(n, n) for n in source_names]]
        self.fields["owner"].choices = [("", "Anyone"), ("me", "Me"), ("none", "Unassigned"), *owner_names]

    def filters(self) -> LeadFilters:
        """The filters to apply; invalid values are dropped rather than failing the page."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {
                name: value
                for name, value in getattr(self, "cleaned_data", {}).items()
                if name not in self.errors
            }
        )
        return LeadFilters(
            stage=data.get("stage") or "",
            source=data.get("source") or "",
            owner=data.get("owner") or "",
            q=(data.get("q") or "").strip(),
            import_job=data.get("import_job") or None,
        )


class StageChangeForm(forms.Form):
    """Move a lead to another lifecycle stage by hand, with a reason for the record."""

    stage = forms.ChoiceField(choices=Stage.choices)
    reason = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"placeholder": "Why (kept in the timeline)"})
    )


class SourceForm(forms.Form):
    """A new intake source; its public form key is made for it."""

    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=SourceKind.choices, initial=SourceKind.FORM)
    success_url = forms.URLField(
        required=False,
        label="Success URL",
        assume_scheme="https",
        help_text="Where a browser goes after a successful form post (optional).",
    )
    allowed_redirect_hosts = forms.CharField(
        required=False,
        max_length=500,
        label="Hosts a form may return to",
        help_text="Comma-separated, e.g. www.example.com: a form's retURL is followed only to these "
        "(and the success URL's host), so no one can use this form to redirect elsewhere.",
    )


class LeadEditForm(forms.Form):
    """A lead's fields as the signed-in person may edit them (``lead_editable_fields``): text inputs the
    edit service cleans and checks as intake does; an emptied input clears the field."""

    LABELS = {
        "salutation": "Salutation",
        "first_name": "First name",
        "last_name": "Last name",
        "title": "Title",
        "company": "Company",
        "phone": "Phone",
        "mobile": "Mobile",
        "fax": "Fax",
        "website": "Website",
        "industry": "Industry",
        "company_size": "Company size (employees)",
        "annual_revenue": "Annual revenue",
        "rating": "Rating",
        "street": "Street",
        "city": "City",
        "state": "State or region",
        "postal_code": "Postal code",
        "country": "Country",
        "message": "Message",
        "email": "Email",
        "lead_source": "Lead source (as sent)",
        "utm_source": "UTM source",
        "utm_medium": "UTM medium",
        "utm_campaign": "UTM campaign",
        "utm_term": "UTM term",
        "utm_content": "UTM content",
    }
    CUSTOM_PREFIX = "custom__"

    def __init__(
        self, *args: Any, editable: tuple[str, ...], custom_labels: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editable = editable
        for name in editable:
            widget = forms.Textarea(attrs={"rows": 3}) if name == "message" else forms.TextInput()
            self.fields[name] = forms.CharField(
                required=name == "email", label=self.LABELS.get(name, name), max_length=10_000, widget=widget
            )
        self.custom_keys = [key for key, _ in custom_labels]
        for key, label in custom_labels:
            self.fields[self.CUSTOM_PREFIX + key] = forms.CharField(
                required=False, label=label, max_length=1000, help_text="Empty it to remove the field."
            )
        self.fields["new_custom_name"] = forms.CharField(
            required=False, max_length=63, label="New custom field: name"
        )
        self.fields["new_custom_value"] = forms.CharField(
            required=False, max_length=1000, label="New custom field: value"
        )

    def changed_values(self) -> tuple[dict[str, str], dict[str, str]]:
        """(lead fields, custom fields) the person changed; untouched inputs are left out."""
        values = {name: self.cleaned_data[name] for name in self.editable if name in self.changed_data}
        custom = {
            key: self.cleaned_data[self.CUSTOM_PREFIX + key]
            for key in self.custom_keys
            if self.CUSTOM_PREFIX + key in self.changed_data
        }
        if self.cleaned_data.get("new_custom_name"):
            custom[self.cleaned_data["new_custom_name"]] = self.cleaned_data.get("new_custom_value") or ""
        return values, custom
