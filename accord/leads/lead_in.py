"""The body another system sends a lead in (``LeadIn``) and how it becomes the submission ``lead_intake``
takes: shared by ``POST /api/v1/leads`` (leads) and the queued ``POST /api/v1/submissions`` (intake)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr

from accord.core.errors import ApplicationError
from accord.core.rows import row_first
from accord.leads.models import Source, SourceKind
from accord.leads.normalize import resolve_field


class LeadIn(Schema):
    """A lead as another system sends it. Only these fields are accepted; owner and stage are not."""

    model_config = ConfigDict(extra="forbid")

    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    phone: str | None = None
    mobile: str | None = None
    fax: str | None = None
    salutation: str | None = None
    website: str | None = None
    industry: str | None = None
    # Strict: true is not a head count and 1 is not a consent answer (lax parsing took both).
    company_size: StrictInt | StrictStr | None = None
    annual_revenue: StrictInt | StrictFloat | StrictStr | None = None
    rating: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lead_source: str | None = None
    message: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    consent: StrictBool | StrictStr | None = None
    consent_source: str | None = None
    consent_text: str | None = Field(None, description="The consent wording the person agreed to.")
    campaign: str | None = Field(
        None,
        description="The campaign this lead answers: its id in another system (a Salesforce Campaign_ID), "
        "its Accord id or its utm_campaign.",
    )
    member_status: str | None = Field(None, description="The person's status in that campaign.")
    activity: str | None = Field(
        None, description="What the person did, e.g. demo_request; scored by engagement rules."
    )
    source: str | None = Field(None, description="Name of an existing source; defaults to 'API'.")
    custom: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


def api_source(name: str | None) -> Source:
    if name:
        # PostgreSQL refuses a NUL byte even in a WHERE clause; no source can be named with one.
        source = row_first(Source, "name = %s AND is_active", [name]) if "\x00" not in name else None
        if source is None:
            raise ApplicationError(
                f"Unknown source {name!r}: create it first (accord source create NAME) or leave 'source' out.",
                detail={"source": "unknown"},
                status=422,
            )
        return source
    source = row_first(Source, "name = %s", ["API"])
    if source is None:
        source, _ = Source.objects.get_or_create(name="API", defaults={"kind": SourceKind.API})
    return source


def lead_in_submission(body: dict[str, Any]) -> tuple[dict[str, Any], Source]:
    """A ``LeadIn`` body (``model_dump(exclude_none=True)``) as the submission ``lead_intake`` takes,
    and its source; shared by ``POST /leads`` and the queued ``POST /submissions``."""
    data: dict[str, Any] = dict(body)
    source = api_source(data.pop("source", None))
    if "campaign" in data:
        data["campaign_ref"] = data.pop("campaign")
    if "annual_revenue" in data:
        data["annual_revenue"] = str(data["annual_revenue"])
    custom = data.pop("custom", {}) or {}
    if isinstance(data.get("consent"), bool):
        data["consent"] = "yes" if data["consent"] else "no"
    for key, value in custom.items():
        if resolve_field(f"custom.{key}") is None:
            # Forms may carry plumbing to ignore; an API caller named this field on purpose.
            raise ApplicationError(
                f"Custom field name {key!r} cannot be used: write lower-case letters, digits and _, "
                "starting with a letter (at most 63 characters).",
                detail={f"custom.{key}": "not a usable field name"},
                status=422,
            )
        data[f"custom.{key}"] = "" if value is None else value
    return data, source
