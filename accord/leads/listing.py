"""The lead and account lists, defined once for their pages and the API (see ``accord.core.listing``).

Every sortable column orders by an indexed expression (``Lead.Meta.indexes``), so the first page of
any sort reads a page's worth of index entries, not the table.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accord.core.listing import Column, FilterField, ListDefinition
from accord.leads.models import ConsentStatus, Stage


def owner_value(lookup: str, value: str, user: Any) -> Q:
    """“Owner is me / nobody / a username” (``me`` means whoever opens the list or saved view)."""
    if value == "me":
        return Q(**{f"{lookup}_id": getattr(user, "pk", None)})
    if value == "none":
        return Q(**{f"{lookup}__isnull": True})
    return Q(**{f"{lookup}__username": value})


LEAD_LIST = ListDefinition(
    name="leads",
    noun="leads",
    columns=(
        Column("name", "Name", sort=("lower:last_name",)),
        Column("email", "Email", sort=("email_key",)),
        Column("company", "Company / account", sort=("company", "created_at")),
        Column("title", "Title", default=False),
        Column("source", "Source"),
        Column("stage", "Stage", sort=("stage", "created_at")),
        Column("stage_since", "In stage since", sort=("stage_changed_at",), default=False),
        Column("score", "Score", sort=("score", "created_at")),
        Column("owner", "Owner"),
        Column("country", "Country", default=False),
        Column("industry", "Industry", default=False),
        Column("company_size", "Company size", default=False),
        Column("why", "Why"),
        Column("received", "Received", sort=("created_at",)),
    ),
    filters=(
        FilterField("stage", "Stage", "stage", "choice", tuple(Stage.choices)),
        FilterField("owner", "Owner", "owner", "user"),
        FilterField("source", "Source", "source__name"),
        FilterField("email", "Email", "email_key"),
        FilterField("first_name", "First name", "first_name"),
        FilterField("last_name", "Last name", "last_name"),
        FilterField("title", "Title", "title"),
        FilterField("company", "Company", "company"),
        FilterField("account", "Account", "account__name"),
        FilterField("phone", "Phone", "phone"),
        FilterField("city", "City", "city"),
        FilterField("state", "State / region", "state"),
        FilterField("country", "Country", "country"),
        FilterField("industry", "Industry", "industry"),
        FilterField("company_size", "Company size", "company_size", "number"),
        FilterField("score", "Score", "score", "number"),
        FilterField("fit_score", "Fit score", "fit_score", "number"),
        FilterField("engagement_score", "Engagement score", "engagement_score", "number"),
        FilterField("lead_source", "Lead source (as sent)", "lead_source"),
        FilterField("utm_source", "UTM source", "utm_source"),
        FilterField("utm_medium", "UTM medium", "utm_medium"),
        FilterField("utm_campaign", "UTM campaign", "utm_campaign"),
        FilterField("consent", "Consent", "consent", "choice", tuple(ConsentStatus.choices)),
        FilterField("received", "Received", "created_at", "date"),
        FilterField("stage_since", "In stage since", "stage_changed_at", "date"),
        FilterField("updated", "Last changed", "updated_at", "date"),
    ),
    default_order=("-created_at", "-id"),
    custom_json="custom",
    user_value=owner_value,
)


ACCOUNT_LIST = ListDefinition(
    name="accounts",
    noun="accounts",
    columns=(
        Column("name", "Name", sort=("name",)),
        Column("parent", "Parent account", default=False),
        Column("industry", "Industry", sort=("industry", "name")),
        Column("country", "Country", default=False),
        Column("size", "Employees", sort=("size", "name"), default=False),
        Column("owner", "Owner"),
        Column("stage", "Lifecycle stage"),
        Column("website", "Website", default=False),
        Column("created", "Created", sort=("created_at",)),
    ),
    filters=(
        FilterField("name", "Name", "name"),
        FilterField("industry", "Industry", "industry"),
        FilterField("country", "Country", "country"),
        FilterField("size", "Employees", "size", "number"),
        FilterField("owner", "Owner", "owner", "user"),
        FilterField("website", "Website", "website"),
        FilterField("parent", "Parent account", "parent__name"),
        FilterField("created", "Created", "created_at", "date"),
    ),
    default_order=("name", "id"),
    user_value=owner_value,
)
