"""Forms of the enablement pages (the services check everything again)."""

from __future__ import annotations

from django import forms

from accord.enablement.models import BRIEF_OUTCOMES, BRIEF_QUESTIONS, BriefSubject, Decision, Gate, SalesStage


class BriefForm(forms.Form):
    title = forms.CharField(max_length=200)
    subject = forms.ChoiceField(choices=BriefSubject.choices, initial=BriefSubject.COLLATERAL)
    product = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name, label in BRIEF_QUESTIONS + BRIEF_OUTCOMES:
            self.fields[name] = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 2, "id": f"brief-{name}"})
            )

    def texts(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name, _ in BRIEF_QUESTIONS + BRIEF_OUTCOMES}


class MaterialForm(forms.Form):
    title = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"id": "material-title"}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    brief = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Built on the brief")
    file = forms.FileField(
        required=False,
        help_text="PDF, image or office document.",
        widget=forms.ClearableFileInput(attrs={"id": "material-file"}),
    )
    url = forms.URLField(required=False, label="Or a link", assume_scheme="https")
    note = forms.CharField(required=False, max_length=500, label="About this version")
    customer_facing = forms.BooleanField(
        required=False, initial=True, label="Customer-facing (goes to the sales committee)"
    )
    needs_compliance = forms.BooleanField(required=False, label="Needs compliance approval")
    needs_legal = forms.BooleanField(
        required=False,
        label="Needs legal approval",
        widget=forms.CheckboxInput(attrs={"id": "material-needs-legal"}),
    )
    product = forms.CharField(max_length=120, required=False)
    stage = forms.ChoiceField(choices=[("", "—"), *SalesStage.choices], required=False, label="Sales stage")
    vertical = forms.CharField(max_length=120, required=False)
    competitor = forms.CharField(max_length=120, required=False)
    questions = forms.CharField(
        required=False, label="Customer questions it answers", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, briefs=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["brief"].choices = [("", "— no brief —"), *[(b.pk, b.title) for b in briefs]]


class VersionForm(forms.Form):
    file = forms.FileField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    note = forms.CharField(max_length=500, label="What changed, and why")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "id": "comment-body"}), label="Comment")
    page = forms.IntegerField(
        min_value=1, required=False, widget=forms.NumberInput(attrs={"id": "comment-page"})
    )
    quote = forms.CharField(
        max_length=500,
        required=False,
        label="Or quote the passage",
        widget=forms.TextInput(attrs={"id": "comment-quote"}),
    )


class ApprovalForm(forms.Form):
    gate = forms.ChoiceField(choices=Gate.choices)
    decision = forms.ChoiceField(choices=Decision.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(forms.Form):
    change_note = forms.CharField(
        label="What is new or changed, and why (the whole sales team is told)",
        widget=forms.Textarea(attrs={"rows": 2, "id": "publish-note"}),
    )


class RetireForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", widget=forms.TextInput(attrs={"id": "library-q"}))
    product = forms.CharField(required=False, max_length=120)
    stage = forms.ChoiceField(choices=[("", "Any stage"), *SalesStage.choices], required=False)
    vertical = forms.CharField(required=False, max_length=120)
    competitor = forms.CharField(required=False, max_length=120)
    question = forms.CharField(required=False, max_length=200, label="Customer question")


class ShareForm(forms.Form):
    lead_email = forms.EmailField(label="Lead's email")
    send_email = forms.BooleanField(required=False, label="Email it to them now")
    message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RatingForm(forms.Form):
    usefulness = forms.TypedChoiceField(coerce=int, choices=[(i, str(i)) for i in range(1, 6)])
    missing = forms.CharField(
        required=False, label="What is missing?", widget=forms.Textarea(attrs={"rows": 2})
    )


class CommitteeForm(forms.Form):
    name = forms.CharField(max_length=120, label="Plan period")
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    members = forms.TypedMultipleChoiceField(coerce=int, label="One or two reps")

    def __init__(self, *args, reps=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(u.pk, str(u)) for u in reps]


class PositioningRoundForm(forms.Form):
    product = forms.CharField(max_length=120, label="New product")
    deadline = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    question = forms.CharField(
        required=False,
        label="Anything else to ask (not copy, not price)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PositioningAnswerForm(forms.Form):
    against_existing_line = forms.CharField(
        label="How would you position it against our existing line?", widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_objections = forms.CharField(
        label="Which objections do you expect?", widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PositioningSummaryForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
