"""Forms for the lead pages: list filters, a manual stage change, a new intake source."""

from __future__ import annotations

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
