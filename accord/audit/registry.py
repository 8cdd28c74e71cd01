"""The one list of what the audit trail tracks: models, their fields, masked secrets, configuration.

Add a model here and every save and delete through the ORM leaves a ChangeRecord. Paths that
bypass ``save()`` (``bulk_create``, ``QuerySet.update``: the CSV import, bulk re-scoring) are not
seen by the receivers; those paths append Event rows, which remain their record.
"""

from __future__ import annotations

from dataclasses import dataclass

MASK = "********"


@dataclass(frozen=True)
class Tracked:
    """One tracked model: the fields whose old and new values are kept."""

    label: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    masked: frozenset[str] = frozenset()  # recorded as changed, value never stored
    configuration: bool = False  # criteria, routing, SLA policy, roles: heads may read these


_LEAD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "phone",
    "mobile",
    "fax",
    "salutation",
    "website",
    "industry",
    "company_size",
    "annual_revenue",
    "rating",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "consent",
    "consent_source",
    "consent_at",
    "consent_text",
    "source",
    "account",
    "owner",
    "stage",
    "score",
    "fit_score",
    "engagement_score",
    "criteria_version",
    "merged_into",
)

TRACKED: tuple[Tracked, ...] = (
    Tracked("leads.Lead", _LEAD_FIELDS),
    Tracked("leads.Account", ("name", "industry", "size", "country", "website", "owner", "parent")),
    Tracked(
        "leads.Source",
        (
            "name",
            "kind",
            "is_active",
            "public_key",
            "success_url",
            "allowed_redirect_hosts",
            "honeypot_field",
            "rate_limit_per_minute",
            "max_body_bytes",
            "queue_submissions",
            "require_signature",
            "signing_secret",
            "previous_signing_secret",
            "previous_secret_valid_until",
        ),
        masked=frozenset({"public_key", "signing_secret", "previous_signing_secret"}),
        configuration=True,
    ),
    Tracked(
        "qualification.CriteriaSet",
        ("version", "name", "status", "mql_threshold", "notes", "based_on", "activated_at", "retired_at"),
        configuration=True,
    ),
    Tracked(
        "qualification.CriteriaRule",
        (
            "criteria_set",
            "position",
            "kind",
            "field",
            "operator",
            "value",
            "points",
            "half_life_days",
            "label",
        ),
        configuration=True,
    ),
    Tracked(
        "qualification.SignOff", ("criteria_set", "role", "user", "signed_at", "comment"), configuration=True
    ),
    Tracked(
        "routing.RoutingRuleSet",
        ("version", "status", "activated_at", "activated_by", "notes"),
        configuration=True,
    ),
    Tracked(
        "routing.RoutingRule",
        (
            "rule_set",
            "position",
            "name",
            "conditions",
            "target_kind",
            "target_user",
            "target_team",
            "target_queue",
            "weighted",
        ),
        configuration=True,
    ),
    Tracked("routing.Queue", ("name", "owner", "is_fallback"), configuration=True),
    Tracked(
        "routing.RepCapacity",
        ("user", "daily_limit", "weekly_limit", "weight", "accepts_leads"),
        configuration=True,
    ),
    Tracked(
        "sla.SlaPolicy",
        (
            "name",
            "priority",
            "is_active",
            "is_default",
            "min_score",
            "stage",
            "source",
            "accept_hours",
            "first_touch_hours",
            "next_touch_hours",
            "reminder_before_minutes",
            "escalate_after_hours",
            "recycle_after_hours",
        ),
        configuration=True,
    ),
    Tracked("people.UserRole", ("user", "role"), configuration=True),
    Tracked(
        "people.User",
        (
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "team",
            "manager",
            "password",
        ),
        masked=frozenset({"password"}),
        configuration=True,
    ),
    Tracked(
        "people.Team",
        ("name", "kind", "segment", "manager", "time_zone", "work_start", "work_end", "workdays"),
        configuration=True,
    ),
    Tracked(
        "campaigns.Campaign",
        (
            "name",
            "channel",
            "status",
            "owner",
            "parent",
            "start_date",
            "end_date",
            "budget",
            "currency",
            "utm_campaign",
            "is_launch",
            "override_reason",
            "benefit_for_sales",
        ),
    ),
    Tracked(
        "planning.Goal",
        (
            "side",
            "title",
            "metric",
            "unit",
            "target",
            "period_start",
            "period_end",
            "owner",
            "team",
            "reported_progress",
        ),
    ),
    Tracked(
        "planning.Plan",
        (
            "name",
            "fiscal_year",
            "status",
            "executive_sponsor",
            "target_threshold_pct",
            "budget_threshold_pct",
            "escalation_business_days",
            "attribution_model",
        ),
    ),
    Tracked("planning.DrasticChange", ("explanation", "explained_by", "acknowledged_by")),
    Tracked("planning.Disagreement", ("status", "level", "assignee", "due_at", "resolution", "resolved_by")),
    Tracked("planning.Promise", ("title", "owner", "due_on", "kept_at")),
    Tracked("campaigns.CostLine", ("campaign", "amount", "currency", "period_start", "period_end", "note")),
    Tracked(
        "campaigns.Communication",
        (
            "campaign",
            "kind",
            "name",
            "subject",
            "body",
            "status",
            "success_metric",
            "success_window_days",
            "audience",
            "audience_stage",
            "scheduled_for",
        ),
    ),
    Tracked(
        "deals.Deal",
        (
            "name",
            "account",
            "contact",
            "owner",
            "amount",
            "currency",
            "stage",
            "expected_close",
            "closed_at",
            "won_reason",
            "lost_reason",
        ),
    ),
    # Enablement: who decides the blocking gates is configuration; briefs and materials are content.
    Tracked("enablement.Approver", ("user", "gate"), configuration=True),
    Tracked("enablement.Committee", ("name", "starts_on", "ends_on", "chosen_by"), configuration=True),
    Tracked(
        "enablement.Brief",
        (
            "title",
            "product",
            "owner",
            "brand_message",
            "value_proposition",
            "differentiation",
            "whats_in_it_for_sales",
            "marketing_agreed_by",
            "sales_agreed_by",
        ),
    ),
    Tracked(
        "enablement.Material",
        (
            "title",
            "owner",
            "status",
            "customer_facing",
            "needs_compliance",
            "needs_legal",
            "published_version",
        ),
    ),
    Tracked("deals.DealLineItem", ("deal", "position", "product", "quantity", "unit_price")),
    Tracked("deals.StageProbability", ("stage", "probability"), configuration=True),
)

# Never stored whatever a registry entry says: names that hold secrets anywhere in Accord.
ALWAYS_MASKED = frozenset(
    {"password", "key_hash", "signing_secret", "previous_signing_secret", "secret", "token"}
)


def configuration_types() -> frozenset[str]:
    """object_type values (app_label.modelname, lower case) of configuration models."""
    return frozenset(t.label.lower() for t in TRACKED if t.configuration)
