"""Enablement: joint briefs, materials and their versions, the sales committee's review, approvals,
the library's share links, usage and ratings, and positioning input rounds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from accord.core.models import BaseModel
from accord.enablement.files import material_storage

USER = settings.AUTH_USER_MODEL


class BriefSubject(models.TextChoices):
    PRODUCT = "product", "Product"
    COLLATERAL = "collateral", "Collateral"
    SALES_TOOL = "sales_tool", "Sales tool"


# The seven questions of a brief, then what is in it for sales (the model's fields, in the order asked).
BRIEF_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("benefits_whom", "Whom does it benefit?"),
    ("what_it_does", "What does it do, and which customer problem does it solve?"),
    ("customer_growth", "How does it help the customer grow, and their revenue?"),
    ("how_it_differs", "How does it differ from the competition and fit the brand promise?"),
    ("where_useful", "Where is it useful?"),
    ("why_good_investment", "Why is it a good investment of money and time?"),
    ("when_payoff", "When does the payoff come?"),
    ("whats_in_it_for_sales", "What is in it for sales?"),
)
# What the brief agrees on: shown with every material built on it.
BRIEF_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("brand_message", "Brand message"),
    ("value_proposition", "Value proposition"),
    ("differentiation", "Differentiation"),
)


class Brief(BaseModel):
    """A joint brief for a product, piece of collateral or sales tool (B2, A8).

    Marketing drafts, sales adds; it is agreed when a marketing owner and a sales representative have
    both accepted the text as it stands. Any change to the text clears both acceptances.
    """

    title = models.CharField(max_length=200)
    subject = models.CharField(max_length=20, choices=BriefSubject.choices, default=BriefSubject.COLLATERAL)
    product = models.CharField(max_length=120, blank=True, db_index=True)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="enablement_briefs")
    benefits_whom = models.TextField(blank=True)
    what_it_does = models.TextField(blank=True)
    customer_growth = models.TextField(blank=True)
    how_it_differs = models.TextField(blank=True)
    where_useful = models.TextField(blank=True)
    why_good_investment = models.TextField(blank=True)
    when_payoff = models.TextField(blank=True)
    whats_in_it_for_sales = models.TextField(blank=True)
    brand_message = models.TextField(blank=True)
    value_proposition = models.TextField(blank=True)
    differentiation = models.TextField(blank=True)
    marketing_agreed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marketing_agreed_at = models.DateTimeField(null=True, blank=True)
    sales_agreed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sales_agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_agreed(self) -> bool:
        return self.marketing_agreed_at is not None and self.sales_agreed_at is not None

    def missing_answers(self) -> list[str]:
        """The questions (their wording) still without an answer."""
        return [label for name, label in BRIEF_QUESTIONS if not getattr(self, name).strip()]

    def answers(self) -> list[tuple[str, str, str]]:
        return [(name, label, getattr(self, name)) for name, label in BRIEF_QUESTIONS]

    def outcomes(self) -> list[tuple[str, str, str]]:
        return [(name, label, getattr(self, name)) for name, label in BRIEF_OUTCOMES]


class MaterialStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class MaterialKind(models.TextChoices):
    FILE = "file", "File"
    LINK = "link", "Link"


class SalesStage(models.TextChoices):
    """Where in the sale a material helps (the library's stage filter)."""

    PROSPECTING = "prospecting", "Prospecting"
    DISCOVERY = "discovery", "Discovery"
    EVALUATION = "evaluation", "Evaluation"
    PROPOSAL = "proposal", "Proposal"
    CLOSING = "closing", "Closing"
    ONBOARDING = "onboarding", "Onboarding"


class MaterialOrigin(models.TextChoices):
    MARKETING = "marketing", "Made by marketing"
    SALES = "sales", "Submitted by sales"


class Material(BaseModel):
    """A piece of sales material: a file or a link, in versions, through review to the library.

    ``status`` is the workflow of the newest version; ``published_version`` is what the library shows
    (a published material keeps serving its published version while a newer one is reviewed).
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    brief = models.ForeignKey(
        Brief, null=True, blank=True, on_delete=models.PROTECT, related_name="materials"
    )
    kind = models.CharField(max_length=8, choices=MaterialKind.choices)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="enablement_materials")
    origin = models.CharField(max_length=12, choices=MaterialOrigin.choices, default=MaterialOrigin.MARKETING)
    status = models.CharField(max_length=12, choices=MaterialStatus.choices, default=MaterialStatus.DRAFT)
    customer_facing = models.BooleanField(default=True)
    needs_compliance = models.BooleanField(
        default=False, help_text="Compliance must approve before publishing."
    )
    needs_legal = models.BooleanField(default=False, help_text="Legal must approve before publishing.")
    product = models.CharField(max_length=120, blank=True)
    stage = models.CharField(max_length=16, choices=SalesStage.choices, blank=True)
    vertical = models.CharField(max_length=120, blank=True)
    competitor = models.CharField(max_length=120, blank=True)
    questions = models.TextField(blank=True, help_text="Questions from customers this material answers.")
    current_version = models.ForeignKey(
        "MaterialVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_version = models.ForeignKey(
        "MaterialVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="material_status_updated"),
            models.Index(fields=["product"], name="material_product"),
            models.Index(fields=["stage"], name="material_stage"),
            models.Index(fields=["vertical"], name="material_vertical"),
            models.Index(fields=["competitor"], name="material_competitor"),
            models.Index(fields=["owner", "status"], name="material_owner_status"),
            models.Index(
                fields=["-published_at"],
                condition=Q(published_version__isnull=False, retired_at__isnull=True),
                name="material_in_library",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_library(self) -> bool:
        return self.published_version_id is not None and self.retired_at is None

    def required_gates(self) -> list[str]:
        gates: list[str] = []
        if self.needs_compliance:
            gates.append(Gate.COMPLIANCE.value)
        if self.needs_legal:
            gates.append(Gate.LEGAL.value)
        return gates


class PreviewStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Ready"
    NONE = "none", "No preview"


class MaterialVersion(BaseModel):
    """One version of a material: an uploaded file (checked by its content) or a link."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True, help_text="What changed in this version, and why.")
    file = models.FileField(
        upload_to="enablement/materials/%Y/%m/", storage=material_storage, max_length=300, blank=True
    )
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    file_kind = models.CharField(
        max_length=40, blank=True, help_text="What the content is (PDF, PNG image ...)."
    )
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    preview = models.FileField(
        upload_to="enablement/previews/%Y/%m/", storage=material_storage, max_length=300, blank=True
    )
    preview_status = models.CharField(max_length=8, choices=PreviewStatus.choices, default=PreviewStatus.NONE)
    preview_note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["material", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["material", "number"], name="material_version_number_unique"),
            models.CheckConstraint(
                condition=(~Q(file="") & Q(url="")) | (Q(file="") & ~Q(url="")),
                name="material_version_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.material} v{self.number}"


class Committee(BaseModel):
    """The sales committee of one plan period: one or two reps who preview customer-facing material (B1)."""

    name = models.CharField(max_length=120, help_text="The plan period, e.g. 'FY2027 H1'.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, related_name="enablement_committees"
    )
    chosen_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="committee_period_order"
            )
        ]

    def __str__(self) -> str:
        return f"Sales committee {self.name}"


class ReviewOutcome(models.TextChoices):
    OPEN = "open", "Open"
    COMMENTED = "commented", "Closed with comments"
    NO_COMMENTS = "no_comments", "Deadline passed with no comments: review proceeded"
    ALL_COMMENTED = "all_commented", "Every committee member commented"


class CommitteeReview(BaseModel):
    """One version of a customer-facing material in front of the committee, with its deadline of two
    business days. Advisory: it closes at the deadline (or when every member has commented)."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(MaterialVersion, on_delete=models.CASCADE, related_name="reviews")
    committee = models.ForeignKey(Committee, null=True, on_delete=models.SET_NULL, related_name="reviews")
    reviewers: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, related_name="enablement_reviews"
    )
    submitted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField()
    deadline = models.DateTimeField()
    business_days = models.PositiveSmallIntegerField(default=2)
    outcome = models.CharField(max_length=16, choices=ReviewOutcome.choices, default=ReviewOutcome.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["outcome", "deadline"], name="review_open_deadline")]

    def __str__(self) -> str:
        return f"Committee review of {self.material} (due {self.deadline:%Y-%m-%d %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.outcome == ReviewOutcome.OPEN


class MaterialComment(BaseModel):
    """A comment on a version, anchored to a page or a quoted passage."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="comments")
    version = models.ForeignKey(MaterialVersion, on_delete=models.CASCADE, related_name="comments")
    review = models.ForeignKey(
        CommitteeReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    page = models.PositiveIntegerField(null=True, blank=True)
    quote = models.CharField(max_length=500, blank=True)
    within_window = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(page__isnull=False) | ~Q(quote=""), name="material_comment_anchored"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.material}"

    @property
    def anchor(self) -> str:
        parts = []
        if self.page:
            parts.append(f"page {self.page}")
        if self.quote:
            parts.append(f"“{self.quote}”")
        return ", ".join(parts)


class Gate(models.TextChoices):
    COMPLIANCE = "compliance", "Compliance"
    LEGAL = "legal", "Legal"


class Approver(BaseModel):
    """A person who decides one blocking gate (compliance or legal). Set by admins."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="enablement_gates")
    gate = models.CharField(max_length=12, choices=Gate.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "gate"], name="approver_unique")]

    def __str__(self) -> str:
        return f"{self.user} decides {self.get_gate_display().lower()}"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Changes required"


class Approval(BaseModel):
    """A blocking gate's decision on one version. The newest decision per gate and version counts."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="approvals")
    version = models.ForeignKey(MaterialVersion, on_delete=models.CASCADE, related_name="approvals")
    gate = models.CharField(max_length=12, choices=Gate.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["version", "gate", "-created_at"], name="approval_version_gate")]

    def __str__(self) -> str:
        return f"{self.get_gate_display()} {self.get_decision_display().lower()}: {self.material}"


class Share(BaseModel):
    """A tracked link to a published material, made for one lead: a view is an event on the lead."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="shares")
    version = models.ForeignKey(MaterialVersion, on_delete=models.CASCADE, related_name="shares")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="material_shares")
    shared_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    from_email = models.CharField(max_length=320, blank=True)
    under_rep_name = models.BooleanField(default=False)
    sender_reason = models.CharField(max_length=300, blank=True)
    views = models.PositiveIntegerField(default=0)
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["material", "created_at"], name="share_material_time"),
            models.Index(fields=["shared_by", "created_at"], name="share_sharer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.material} for {self.lead}"


class UseKind(models.TextChoices):
    OPENED = "opened", "Opened by a rep"
    SHARED = "shared", "Shared with a lead"
    VIEWED = "viewed", "Viewed by a prospect"


class MaterialUse(models.Model):
    """One use of a material (a rep opened it, shared it, a prospect viewed it): the library's reports."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="uses")
    kind = models.CharField(max_length=8, choices=UseKind.choices)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["material", "kind", "at"], name="material_use_kind_time")]

    def __str__(self) -> str:
        return f"{self.material} {self.kind} at {self.at:%Y-%m-%d}"


class Rating(BaseModel):
    """A rep's rating of a material's usefulness (1-5) and what they say is missing."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    usefulness = models.PositiveSmallIntegerField()
    missing = models.TextField(
        blank=True, help_text="What is missing from this material, or from the library."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["material", "user"], name="rating_one_per_person"),
            models.CheckConstraint(
                condition=Q(usefulness__gte=1, usefulness__lte=5), name="rating_one_to_five"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} rates {self.material} {self.usefulness}/5"


class PositioningRound(BaseModel):
    """Sales input on the positioning of a new product (E5): how they would position it against the
    existing line and which objections they expect. Not copy, not price. Open until its deadline."""

    product = models.CharField(max_length=120)
    question = models.TextField(
        blank=True, help_text="Anything marketing wants to ask besides the two questions."
    )
    deadline = models.DateTimeField()
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="Marketing's summary of what sales said.")

    class Meta:
        ordering = ["-deadline", "-id"]

    def __str__(self) -> str:
        return f"Positioning input: {self.product}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PositioningAnswer(BaseModel):
    """One salesperson's answer to a positioning round (they may change it until the deadline)."""

    round = models.ForeignKey(PositioningRound, on_delete=models.CASCADE, related_name="answers")
    respondent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    against_existing_line = models.TextField()
    expected_objections = models.TextField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "respondent"], name="positioning_one_answer")]

    def __str__(self) -> str:
        return f"{self.respondent} on {self.round}"


class TeamNotice(BaseModel):
    """A message for the whole sales team (a publication, a positioning round), sent by the worker.

    ``sent_at`` is claimed with a compare-and-set before anyone is notified, in the same transaction as
    the notifications, so a task that runs twice notifies each person once."""

    kind = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"To the sales team: {self.subject}"
