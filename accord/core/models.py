"""Shared base model, the append-only event log, idempotency records and organisation settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BaseModel(models.Model):
    """Every Accord table carries when a row was made and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Channel(models.TextChoices):
    PAGE = "page", "Web page"
    API = "api", "REST API"
    FORM = "form", "Public web form"
    IMPORT = "import", "CSV import"
    EMAIL = "email", "Email"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


class Event(models.Model):
    """One thing that happened to one subject. Rows are appended, never updated or deleted.

    ``stage`` is set when the event moved a lead to a lifecycle stage: stage history and time in
    stage are read from these rows.
    """

    type = models.CharField(max_length=64)  # indexed by event_type_time (type, occurred_at)
    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.SYSTEM)
    occurred_at = models.DateTimeField(db_index=True)
    stage = models.CharField(max_length=16, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "occurred_at"], name="event_subject_time"),
            models.Index(fields=["type", "occurred_at"], name="event_type_time"),
        ]
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}#{self.subject_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class IdempotencyRecord(models.Model):
    """The first response to a create call made with an Idempotency-Key, replayed for repeats."""

    scope = models.CharField(max_length=120, help_text="Who made the call: user or source.")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    # JSON text, not jsonb: PostgreSQL's jsonb reorders keys, and a replay gives the first body as it was.
    response_body = models.TextField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class Organization(BaseModel):
    """The company running Accord: a single row holding company-wide settings."""

    name = models.CharField(max_length=200, default="Our company")
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, help_text="1 = January. Quarters and the launch guard count from this month."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="organization_fiscal_month_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organization:
        org, _ = cls.objects.get_or_create(pk=1)
        return org


class RateWindow(models.Model):
    """A fixed-window request counter shared by every web process (public intake rate limits)."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="Unix time the window began.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_window_key_start")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.count}"


class PeriodicRun(models.Model):
    """When a piece of periodic work (registered with accord.core.periodic) is next due."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """A task worker's sign of life: one row per worker, its ``seen_at`` moved every few seconds."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.hostname} (pid {self.pid}), seen {self.seen_at:%H:%M:%S}"


class FullTextDocument(models.Model):
    """One searchable record of any app: its type, its id in that app, and the text to search.

    The search index itself lives beside this table and is made by the migration for each engine: a
    generated ``tsvector`` column with a GIN index on PostgreSQL, an external-content FTS5 table kept in
    step by triggers on SQLite. ``accord.core.fulltext`` is the only code that reads or writes it.
    """

    doc_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    title = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    extra = models.TextField(blank=True, default="", help_text="More words to match, weighted lowest.")
    indexed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "object_id"], name="fulltext_type_object"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type} {self.object_id}: {self.title[:40]}"


class SavedView(BaseModel):
    """A list's filters, sort and columns saved under a name ("My MQLs older than 2 days").

    ``query`` is the list page's query string. A shared view is offered to everyone, and each person
    still sees only the rows the access layer gives them ("me" in a filter means whoever opens it).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_name = models.CharField(max_length=32, help_text="Which list: leads, deals or accounts.")
    name = models.CharField(max_length=120)
    query = models.TextField(blank=True)
    shared = models.BooleanField(default=False, help_text="Offered to everyone, not only its owner.")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_name", "name"], name="saved_view_name_unique")
        ]
        indexes = [models.Index(fields=["list_name", "shared"], name="saved_view_list_shared")]

    def __str__(self) -> str:
        return f"{self.name} ({self.list_name})"
