"""API for leads: create through the intake pipeline, list and read with record-level access."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr, field_validator

from accord.core.api_support import ErrorOut
from accord.core.errors import AccessDenied, ApplicationError
from accord.core.idempotency import idempotent_response
from accord.core.listing import COUNT_CAP, MAX_OFFSET, ListQueryError, capped_count, rows_at
from accord.core.models import Channel
from accord.leads.doors import lead_intake
from accord.leads.listing import LEAD_LIST
from accord.leads.models import Lead, Source, SourceKind, Stage
from accord.leads.normalize import resolve_field
from accord.leads.registry import lead_prefetches
from accord.leads.selectors import LeadFilters, lead_get, lead_list
from accord.people import access
from accord.people.access import signed_in_user

router = Router(tags=["leads"])

INTAKE_ROLES = access.INTAKE_ROLES


class AccountRef(Schema):
    id: int
    name: str


class LeadClockOut(Schema):
    """A running SLA clock as a lead shows it (the full clock is sla's SlaClockOut)."""

    kind: str = Field(description="accept, first_touch or next_touch")
    status: str = Field(description="on_time, at_risk or breached")
    due_at: datetime


class LeadOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    company: str
    title: str
    phone: str
    country: str
    industry: str
    company_size: int | None
    account: AccountRef | None
    stage: str
    score: int
    fit_score: int
    engagement_score: int
    criteria_version: int | None
    explanation: str
    owner: str | None
    source: str | None
    consent: str
    custom: dict[str, Any]
    clocks: list[LeadClockOut] = Field(default_factory=list, description="Running SLA clocks, soonest first.")
    created_at: datetime
    updated_at: datetime


class LeadCreatedOut(LeadOut):
    created: bool = Field(description="False when the email matched a lead Accord already had.")


class LeadIn(Schema):
    """A lead as another system sends it. Only these fields are accepted; owner and stage are not."""

    model_config = ConfigDict(extra="forbid")

    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    phone: str | None = None
    website: str | None = None
    industry: str | None = None
    # Strict: true is not a head count and 1 is not a consent answer (lax parsing took both).
    company_size: StrictInt | StrictStr | None = None
    city: str | None = None
    state: str | None = None
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
    activity: str | None = Field(
        None, description="What the person did, e.g. demo_request; scored by engagement rules."
    )
    source: str | None = Field(None, description="Name of an existing source; defaults to 'API'.")
    custom: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class LeadListOut(Schema):
    count: int = Field(
        description=f"Leads matching, counted up to {COUNT_CAP:,}; count_capped says there are more."
    )
    count_capped: bool = Field(False, description=f"True when more than {COUNT_CAP:,} leads match.")
    limit: int
    offset: int
    results: list[LeadOut]


def lead_out(lead: Lead, **extra: Any) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "title": lead.title,
        "phone": lead.phone,
        "country": lead.country,
        "industry": lead.industry,
        "company_size": lead.company_size,
        "account": {"id": lead.account.pk, "name": lead.account.name} if lead.account_id else None,
        "stage": lead.stage,
        "score": lead.score,
        "fit_score": lead.fit_score,
        "engagement_score": lead.engagement_score,
        "criteria_version": lead.criteria_version.version if lead.criteria_version_id else None,
        "explanation": lead.explanation,
        "owner": lead.owner.username if lead.owner else None,
        "source": lead.source.name if lead.source_id else None,
        "consent": lead.consent,
        "custom": lead.custom,
        "clocks": [
            {"kind": c.kind, "status": c.status, "due_at": c.due_at} for c in getattr(lead, "open_clocks", ())
        ],
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        **extra,
    }


def api_source(name: str | None) -> Source:
    if name:
        # PostgreSQL refuses a NUL byte even in a WHERE clause; no source can be named with one.
        source = Source.objects.filter(name=name, is_active=True).first() if "\x00" not in name else None
        if source is None:
            raise ApplicationError(
                f"Unknown source {name!r}: create it first (accord source create NAME) or leave 'source' out.",
                detail={"source": "unknown"},
                status=422,
            )
        return source
    source, _ = Source.objects.get_or_create(name="API", defaults={"kind": SourceKind.API})
    return source


@router.post(
    "/leads",
    response={200: LeadCreatedOut, 201: LeadCreatedOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Submit a lead (created, or matched and updated)",
)
def create_lead(request: HttpRequest, payload: LeadIn) -> HttpResponse:
    """Runs the lead through the intake pipeline: match, qualify, stage. 201 when new, 200 when matched."""
    user = signed_in_user(request)
    if not user.has_role(*INTAKE_ROLES):
        raise AccessDenied("Your role may not submit leads.", status=403)
    body = payload.model_dump(exclude_none=True)

    def run() -> tuple[int, Any]:
        data: dict[str, Any] = dict(body)
        source = api_source(data.pop("source", None))
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
        result = lead_intake(data=data, channel=Channel.API, source=source, actor=user)
        lead = Lead.objects.select_related("account", "owner", "source", "criteria_version").get(
            pk=result.lead.pk
        )
        # JSON-ready values: the idempotency record stores this body in a JSONField for replays.
        out = LeadCreatedOut.model_validate(lead_out(lead, created=result.created))
        return (201 if result.created else 200), out.model_dump(mode="json")

    return idempotent_response(request, operation="lead_create", body=body, call=run)


class LeadQuery(Schema):
    email: str | None = None
    stage: Stage | None = None
    owner: str | None = Field(None, description="A username, 'me', or 'none' for unassigned.")
    source: str | None = None
    q: str | None = Field(None, description="Search in email, names and company.")
    import_job: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Only the leads this CSV import created."
    )
    order: Literal["urgency", "newest"] | None = Field(
        None,
        description="urgency: soonest SLA deadline first (the default with owner=me); newest: newest first.",
    )
    sort: str | None = Field(
        None,
        description="A column of the lead list (name, email, company, stage, stage_since, score, received); "
        "'-' in front for descending. Overrides order.",
    )
    filter: list[str] = Field(
        default_factory=list,
        description="Conditions as field:operator:value, all of which must hold, the same as the lead list "
        "page's filters: e.g. stage:is:mql, stage_since:older_than_days:2, owner:is:me, "
        "custom.crm_id:is:A-7, company:contains:health, score:gte:60, country:empty.",
    )
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(
        0,
        ge=0,
        le=MAX_OFFSET,
        description=f"At most {MAX_OFFSET:,}: narrow the filters (e.g. received:before:DATE) to go further.",
    )

    @field_validator("email", "owner", "source", "q", "sort")
    @classmethod
    def no_nul_byte(cls, value: str | None) -> str | None:
        # No stored value holds one, and PostgreSQL refuses it in a query (a 500 otherwise).
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character (%00); remove it")
        return value


@router.get("/leads", response=LeadListOut, summary="List leads you may see")
def list_leads(request: HttpRequest, query: Query[LeadQuery]) -> dict[str, Any]:
    filters = LeadFilters(
        email=query.email or "",
        stage=query.stage or "",
        owner=query.owner or "",
        source=query.source or "",
        q=query.q or "",
        import_job=query.import_job,
        order=query.order or ("urgency" if query.owner == "me" else "newest"),
    )
    user = signed_in_user(request)
    if any("\x00" in text for text in query.filter):
        raise ApplicationError(
            "A filter must not contain a NUL character (%00).", detail={"filter": "NUL"}, status=422
        )
    try:
        list_query = LEAD_LIST.parse_texts(query.filter, sort=query.sort)
    except ListQueryError as exc:
        raise ApplicationError(str(exc), detail={"filter": "not understood"}, status=422) from None
    qs = LEAD_LIST.filter(lead_list(user=user, filters=filters), list_query, user=user)
    if list_query.sort:
        qs = qs.order_by(*LEAD_LIST.ordering(list_query.sort))
    counted = capped_count(qs)
    rows = rows_at(qs.prefetch_related(*lead_prefetches()), offset=query.offset, limit=query.limit)
    return {
        "count": counted.n,
        "count_capped": counted.more,
        "limit": query.limit,
        "offset": query.offset,
        "results": [lead_out(lead) for lead in rows],
    }


@router.get("/leads/{lead_id}", response={200: LeadOut, 404: ErrorOut}, summary="One lead")
def get_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    lead = lead_get(user=signed_in_user(request), lead_id=lead_id)
    prefetch_related_objects([lead], *lead_prefetches())
    return lead_out(lead)
