"""People (leads and contacts), accounts, intake sources, duplicate candidates and import jobs."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accord.core.models import BaseModel


class Stage(models.TextChoices):
    """Lifecycle stages from the demand waterfall through to advocacy, plus the two side tracks."""

    TARGET = "target", "Target"
    INQUIRY = "inquiry", "Inquiry"
    MQL = "mql", "MQL"
    SAL = "sal", "SAL"
    SQL = "sql", "SQL"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    LOYAL = "loyal", "Loyal customer"
    ADVOCATE = "advocate", "Advocate"
    NURTURE = "nurture", "Nurture"
    DISQUALIFIED = "disqualified", "Disqualified"


# Stages in which marketing's criteria still decide where a lead stands. Once sales has accepted a
# lead (SAL and beyond) a new score is recorded but the stage is the rep's to move.
MARKETING_STAGES = frozenset({Stage.TARGET, Stage.INQUIRY, Stage.MQL, Stage.NURTURE, Stage.DISQUALIFIED})


class SourceKind(models.TextChoices):
    FORM = "form", "Web form"
    API = "api", "API"
    IMPORT = "import", "Import"
    EMAIL = "email", "Email"
    OTHER = "other", "Other"


def _new_public_key() -> str:
    return "src_" + secrets.token_urlsafe(18)


class Source(BaseModel):
    """Where leads come from. A web form posts to /f/<public_key>."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=SourceKind.choices, default=SourceKind.FORM)
    public_key = models.CharField(max_length=64, unique=True, default=_new_public_key)
    is_active = models.BooleanField(default=True)
    success_url = models.URLField(blank=True, help_text="Where a browser goes after a successful form post.")
    allowed_redirect_hosts = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated hosts a form's retURL may point to."
    )
    honeypot_field = models.CharField(
        max_length=64, default="website_url", help_text="A hidden form field only bots fill in."
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=120, help_text="Submissions accepted per minute from one address; more get 429."
    )
    max_body_bytes = models.PositiveIntegerField(default=65536, help_text="Larger posts get 413.")
    queue_submissions = models.BooleanField(
        default=False,
        help_text="Answer a form post as soon as it is stored and make the lead in the background (the "
        "worker, usually within a second): for busy forms such as webinar sign-ups.",
    )
    require_signature = models.BooleanField(
        default=False, help_text="Accept only posts signed with the signing secret (server-to-server)."
    )
    signing_secret = models.CharField(max_length=128, blank=True)
    previous_signing_secret = models.CharField(max_length=128, blank=True)
    previous_secret_valid_until = models.DateTimeField(
        null=True, blank=True, help_text="During a rotation the old secret keeps working until then."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def redirect_hosts(self) -> set[str]:
        return {h.strip().lower() for h in self.allowed_redirect_hosts.split(",") if h.strip()}


class Account(BaseModel):
    """A company. Leads are matched to it by email domain or by its name."""

    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=255, db_index=True, help_text="Normalised name used for matching.")
    industry = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True, help_text="Number of employees.")
    country = models.CharField(max_length=80, blank=True)
    website = models.CharField(max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="The company this one belongs to (a subsidiary's group).",
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name"], name="account_name"),
            models.Index(fields=["industry", "name"], name="account_industry_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        super().save(*args, **kwargs)
        if update_fields is None or "name_key" in update_fields:
            AccountNameKey.write_for([(self.pk, self.name_key)], replace=not adding)


class AccountNameKey(models.Model):
    """The blocking index of fuzzy company matching: one row per blocking key of an account's name
    (``normalize.company_block_keys``). Written by ``Account.save`` and, for accounts an import writes
    in bulk, by the import itself."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "account"], name="account_name_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.account_id}"

    @classmethod
    def write_for(cls, accounts: list[tuple[int, str]], *, replace: bool = False) -> None:
        """Index ``accounts`` ((id, name_key) pairs); ``replace`` drops their old keys first."""
        from accord.leads.normalize import company_block_keys

        if replace:
            AccountNameKey.objects.filter(account_id__in=[pk for pk, _ in accounts]).delete()
        rows = [
            AccountNameKey(account_id=pk, key=key)
            for pk, name_key in accounts
            for key in company_block_keys(name_key)
        ]
        AccountNameKey.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


class AccountDomain(models.Model):
    """An email / web domain that belongs to exactly one account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return self.domain


class ConsentStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    GRANTED = "granted", "Granted"
    DENIED = "denied", "Denied"


class LeadQuerySet(models.QuerySet["Lead"]):
    def live(self) -> LeadQuerySet:
        """Leads that have not been merged into another."""
        return self.filter(merged_into__isnull=True)


class Lead(BaseModel):
    """A person marketing and sales work with, from first inquiry to advocate.

    ``stage``, ``score`` and ``explanation`` are the current values; their history is in the
    event log.
    """

    email = models.CharField(max_length=254)
    # Unique through Meta.constraints: a unique=True field would get a second, varchar_pattern_ops
    # index on PostgreSQL that no query reads, as large as the key's own and kept up on every insert.
    email_key = models.CharField(max_length=254, help_text="Lower-cased email used for matching.")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    phone_key = models.CharField(max_length=20, blank=True)  # indexed with the id: Meta.indexes
    mobile = models.CharField(max_length=50, blank=True)
    fax = models.CharField(max_length=50, blank=True)
    salutation = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=255, blank=True)
    industry = models.CharField(max_length=120, blank=True)
    company_size = models.PositiveIntegerField(null=True, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    street = models.CharField(max_length=255, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    annual_revenue = models.DecimalField(
        max_digits=17, decimal_places=2, null=True, blank=True, help_text="The company's annual revenue."
    )
    rating = models.CharField(max_length=40, blank=True, help_text="Rating as the form or file named it.")
    lead_source = models.CharField(
        max_length=120, blank=True, help_text="Source as the form or file named it."
    )
    message = models.TextField(blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    consent = models.CharField(max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN)
    consent_source = models.CharField(max_length=200, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_text = models.TextField(blank=True, help_text="The consent wording the person agreed to.")
    custom = models.JSONField(default=dict, blank=True)

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    # Indexed by lead_account_name_id_ci, which leads with it.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_leads"
    )

    # Indexed together with created_at (lead_stage_created): a stage filter on the newest-first list.
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.INQUIRY)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    score = models.IntegerField(default=0)
    fit_score = models.IntegerField(default=0)
    engagement_score = models.IntegerField(default=0)
    criteria_version = models.ForeignKey(
        "qualification.CriteriaSet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explanation = models.TextField(blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_leads",
        help_text="Set when this lead was merged into another; its email then leads there.",
    )
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The CSV import that created this lead (its result page links to them).",
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["email_key"], name="lead_email_key_unique")]
        indexes = [
            # An owner's leads of one stage, oldest first: the rep inbox's "to accept" section walks it.
            models.Index(fields=["owner", "stage", "created_at"], name="lead_owner_stage_created"),
            models.Index(Lower("last_name"), name="lead_last_name_ci"),
            # The list's filters and sorts (accord.leads.listing): each reads one page of index entries.
            models.Index(fields=["stage", "created_at"], name="lead_stage_created"),
            models.Index(fields=["owner", "created_at"], name="lead_owner_created"),
            models.Index(fields=["score", "created_at"], name="lead_score_created"),
            # "MQLs, best score first", the list's most common saved view: a stage and a score order.
            models.Index(fields=["stage", "score", "created_at"], name="lead_stage_score"),
            models.Index(fields=["company", "created_at"], name="lead_company_created"),
            models.Index(fields=["stage_changed_at"], name="lead_stage_changed"),
            # The top bar's search reads names by prefix (accord.records.selectors).
            models.Index(Lower("first_name"), name="lead_first_name_ci"),
            # An account's leads, and the possible duplicates by name at an account
            # (matching.possible_duplicates_among): one seek per (account, last name, first name),
            # the id last so that the look-up for *other* leads leaves the checked ones out in the index.
            models.Index(
                "account", Lower("last_name"), Lower("first_name"), "id", name="lead_account_name_id_ci"
            ),
            # Leads by phone number: the possible duplicates by phone, which asks for id ranges as the
            # name look-up does. Only leads with a number (about half): nothing looks up an empty one.
            # (A plain db_index on phone_key would add a second, varchar_pattern_ops index on
            # PostgreSQL that nothing reads.)
            models.Index(fields=["phone_key", "id"], name="lead_phone_id", condition=~models.Q(phone_key="")),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CustomFieldLabel(BaseModel):
    """The words a page shows for a custom field kept under its own name (a Salesforce ``00N…`` id or
    a HubSpot property); the field itself stays under that name in ``Lead.custom``."""

    key = models.CharField(max_length=63, unique=True, help_text="The custom field's name as stored.")
    label = models.CharField(max_length=120)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.key})"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "Open"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not a duplicate"


class PossibleDuplicate(BaseModel):
    """Two leads that may be the same person (same phone, similar name) awaiting a person's decision."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=255)
    similarity = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["lead", "other"], name="duplicate_pair_unique")]
        indexes = [
            # The duplicates queue: open pairs, most similar first, read a page at a time.
            models.Index(
                fields=["-similarity", "-id"], condition=models.Q(status="open"), name="duplicate_open_queue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} ~ {self.other_id} ({self.reason})"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportKind(models.TextChoices):
    """What an import file holds: leads (the bulk engine), or accounts, deals or campaign cost lines."""

    LEADS = "leads", "Leads"
    ACCOUNTS = "accounts", "Accounts"
    DEALS = "deals", "Deals"
    COST_LINES = "cost_lines", "Campaign cost lines"


class ImportJob(BaseModel):
    """One CSV import: the file, its column mapping, progress and the report of rejected rows."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices, default=ImportKind.LEADS)
    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=255)
    encoding = models.CharField(max_length=40, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV column -> lead field.")
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error_file = models.FileField(upload_to="imports/errors/", blank=True)
    error_message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.original_name} ({self.status})"


class SubmissionState(models.TextChoices):
    QUEUED = "queued", "Queued"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class QueuedSubmission(models.Model):
    """A submission stored as it arrived, to be made into a lead by the worker (``accord.intake.queue``):
    form posts to a source with ``queue_submissions`` on, and ``POST /api/v1/submissions``. Its ``data``
    (the person's details) is emptied once the lead is made; a failed one keeps it to be tried again."""

    received_at = models.DateTimeField()
    channel = models.CharField(max_length=20)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=SubmissionState.choices, default=SubmissionState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead_created = models.BooleanField(null=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The worker's queue: the waiting ones in arrival order, however many are done.
            models.Index(fields=["id"], condition=models.Q(state="queued"), name="submission_queued"),
            models.Index(fields=["state", "processed_at"], name="submission_state_processed"),
        ]

    def __str__(self) -> str:
        return f"submission {self.pk} ({self.state})"


class SubmissionDrain(models.Model):
    """One row: whether a task to work the submission queue is already queued, so that a busy form
    enqueues one task per batch instead of one per post (``accord.intake.queue``)."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    scheduled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"submission drain ({'scheduled' if self.scheduled else 'idle'})"
