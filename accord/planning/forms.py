"""Planning forms: each field with the label a person reads."""

from __future__ import annotations

from django import forms

from accord.campaigns.models import Campaign
from accord.core.widgets import DateInput
from accord.people.models import Team, User
from accord.planning.models import Goal, ItemKind, MeetingKind, Metric, Plan, PromiseSource, Side


def _people() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Owner",
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="— choose —",
    )


class GoalForm(forms.Form):
    side = forms.ChoiceField(label="Whose goal", choices=Side.choices)
    title = forms.CharField(label="Goal", max_length=200, required=False)
    metric = forms.ChoiceField(
        label="Measured by", choices=[("", "— choose —"), *Metric.choices], required=False
    )
    unit = forms.CharField(label="What is counted (for another measure)", max_length=80, required=False)
    target = forms.DecimalField(label="Target (a number)", max_digits=16, decimal_places=2, required=False)
    period_start = forms.DateField(label="From", required=False, widget=DateInput())
    period_end = forms.DateField(label="Deadline", required=False, widget=DateInput())
    owner = _people()
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.all(), required=False, empty_label="— none —"
    )
    serves = forms.ModelMultipleChoiceField(
        label="Serves these sales goals",
        queryset=Goal.objects.filter(side=Side.SALES).order_by("-period_start", "title"),
        required=False,
    )


class GoalProgressForm(forms.Form):
    value = forms.DecimalField(label="Count so far", max_digits=16, decimal_places=2, min_value=0)


class PlanForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    fiscal_year = forms.IntegerField(label="Fiscal year", min_value=2000, max_value=2100)
    executive_sponsor = forms.ModelChoiceField(
        label="Executive sponsor",
        queryset=User.objects.filter(is_active=True),
        required=False,
        empty_label="— none yet —",
    )
    target_threshold_pct = forms.IntegerField(
        label="A target moving by more than (%) is drastic", initial=20, min_value=0, max_value=1000
    )
    budget_threshold_pct = forms.IntegerField(
        label="A budget line moving by more than (%) is drastic", initial=15, min_value=0, max_value=1000
    )
    escalation_business_days = forms.IntegerField(
        label="Business days before a disagreement climbs", initial=3, min_value=1, max_value=60
    )


class ItemForm(forms.Form):
    version = forms.ChoiceField(
        label="Version", choices=[("pre_plan", "Pre-plan"), ("plan", "Plan")], initial="plan"
    )
    kind = forms.ChoiceField(label="Kind", choices=ItemKind.choices)
    title = forms.CharField(label="Title", max_length=200)
    key = forms.SlugField(
        label="Key (the same item in both versions)",
        max_length=80,
        required=False,
        help_text="Leave empty to use the title.",
    )
    amount = forms.DecimalField(label="Number or money", max_digits=16, decimal_places=2, required=False)
    involves_sales = forms.BooleanField(label="Involves sales", required=False, initial=True)
    benefit_for_sales = forms.CharField(
        label="What's in it for sales", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    campaigns = forms.ModelMultipleChoiceField(
        label="Campaigns of this strategy", queryset=Campaign.objects.order_by("name"), required=False
    )


class PreviewsForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label="Sales teams", queryset=Team.objects.all(), widget=forms.CheckboxSelectMultiple
    )


class TextForm(forms.Form):
    text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 2}))


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=MeetingKind.choices)
    title = forms.CharField(label="Title", max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    plan = forms.ModelChoiceField(
        label="Plan", queryset=Plan.objects.all(), required=False, empty_label="— none —"
    )
    team = forms.ModelChoiceField(
        label="Sales team (team meetings)",
        queryset=Team.objects.all(),
        required=False,
        empty_label="— none —",
    )
    attendees = forms.ModelMultipleChoiceField(
        label="Invited (a team meeting invites its team by default)",
        queryset=User.objects.filter(is_active=True),
        required=False,
    )


class ActionForm(forms.Form):
    title = forms.CharField(label="What", max_length=300)
    owner = _people()
    due_on = forms.DateField(label="Due", widget=DateInput())


class PromiseForm(forms.Form):
    title = forms.CharField(label="What was promised to sales", max_length=300)
    owner = _people()
    due_on = forms.DateField(label="Due", widget=DateInput())
    made_in = forms.ChoiceField(label="Made in", choices=PromiseSource.choices)
    team = forms.ModelChoiceField(
        label="Sales team", queryset=Team.objects.all(), required=False, empty_label="— all of sales —"
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    industries = forms.CharField(label="Verticals (comma-separated)", required=False)
    countries = forms.CharField(label="Regions or countries (comma-separated)", required=False)
    min_size = forms.IntegerField(label="Smallest company (employees)", min_value=0, required=False)
    max_size = forms.IntegerField(label="Largest company (employees)", min_value=0, required=False)
    rationale = forms.CharField(
        label="Why it differs from today's customers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PeriodForm(forms.Form):
    person = forms.ModelChoiceField(
        label="Person", queryset=User.objects.filter(is_active=True).order_by("username"), required=False
    )
    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())
