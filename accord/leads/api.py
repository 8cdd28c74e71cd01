"""API for leads: create through the intake pipeline, list and read with record-level access."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirectBase
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictFloat, StrictInt, StrictStr, field_validator

from accord.core.api_support import ErrorOut, offset_page
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.idempotency import idempotent_response
from accord.core.listing import COUNT_CAP, MAX_OFFSET, ListQueryError, capped_count, rows_at
from accord.core.models import Channel
from accord.core.rows import row_first, row_related
from accord.leads.doors import lead_intake
from accord.leads.lead_in import LeadIn, lead_in_submission
from accord.leads.listing import LEAD_LIST
from accord.leads.models import Account, AccountDomain, Lead, Source, Stage
from accord.leads.normalize import normalize_domain
from accord.leads.registry import lead_prefetches
from accord.leads.selectors import LeadFilters, lead_events, lead_get, lead_list, lead_survivor
from accord.leads.services import LEAD_EDITABLE_FIELDS, lead_fields_edit, source_create
from accord.leads.views import event_story
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
    salutation: str
    first_name: str
    last_name: str
    company: str
    title: str
    phone: str
    mobile: str
    fax: str
    website: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    industry: str
    company_size: int | None
    annual_revenue: Decimal | None
    rating: str
    lead_source: str
    message: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    account: AccountRef | None
    stage: str
    score: int
    fit_score: int
    engagement_score: int
    criteria_version: int | None
    explanation: str
    owner: str | None
    routing_queue: str | None = Field(
        None, description="The routing queue the lead waits in (no owner yet), by name; null otherwise."
    )
    source: str | None
    consent: str
    consent_at: datetime | None
    consent_text: str
    custom: dict[str, Any]
    clocks: list[LeadClockOut] = Field(default_factory=list, description="Running SLA clocks, soonest first.")
    created_at: datetime
    updated_at: datetime


class LeadCreatedOut(LeadOut):
    created: bool = Field(description="False when the email matched a lead Accord already had.")


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
        "salutation": lead.salutation,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "title": lead.title,
        "phone": lead.phone,
        "mobile": lead.mobile,
        "fax": lead.fax,
        "website": lead.website,
        "street": lead.street,
        "city": lead.city,
        "state": lead.state,
        "postal_code": lead.postal_code,
        "country": lead.country,
        "industry": lead.industry,
        "company_size": lead.company_size,
        "annual_revenue": lead.annual_revenue,
        "rating": lead.rating,
        "lead_source": lead.lead_source,
        "message": lead.message,
        "utm_source": lead.utm_source,
        "utm_medium": lead.utm_medium,
        "utm_campaign": lead.utm_campaign,
        "utm_term": lead.utm_term,
        "utm_content": lead.utm_content,
        "account": {"id": lead.account.pk, "name": lead.account.name} if lead.account_id else None,
        "stage": lead.stage,
        "score": lead.score,
        "fit_score": lead.fit_score,
        "engagement_score": lead.engagement_score,
        "criteria_version": lead.criteria_version.version if lead.criteria_version_id else None,
        "explanation": lead.explanation,
        "owner": lead.owner.username if lead.owner else None,
        "routing_queue": routing_queue_name(lead),
        "source": lead.source.name if lead.source_id else None,
        "consent": lead.consent,
        "consent_at": lead.consent_at,
        "consent_text": lead.consent_text,
        "custom": lead.custom,
        "clocks": [
            {"kind": c.kind, "status": c.status, "due_at": c.due_at} for c in getattr(lead, "open_clocks", ())
        ],
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        **extra,
    }


def routing_queue_name(lead: Lead) -> str | None:
    """The queue a lead without an owner waits in, by name. Routing registers the prefetch that loads
    it (``lead.routing_entry``, None for a lead never routed); every answer here prefetches first."""
    if lead.owner_id is not None:
        return None
    queue = getattr(getattr(lead, "routing_entry", None), "queue", None)
    return queue.name if queue is not None else None


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
        data, source = lead_in_submission(body)
        result = lead_intake(data=data, channel=Channel.API, source=source, actor=user)
        # The lead as stored, and the rows its answer names, in prepared reads (accord.core.rows): the
        # one joined query compiled on every post cost about a third of the request. The rows the
        # intake already holds (the source, an account it made) are not read again: the answer
        # names them by id and name, which the intake does not change.
        lead = row_first(Lead, "id = %s", [result.lead.pk])
        assert lead is not None  # made or updated in this transaction
        for relation in ("account", "owner", "source", "criteria_version"):
            row_related(lead, relation, known=result.lead)
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


@router.get("/leads", response={200: LeadListOut, 422: ErrorOut}, summary="List leads you may see")
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


class PermanentRedirectJson(HttpResponseRedirectBase):
    """308 Permanent Redirect (the method is kept) with a JSON body saying where the record went."""

    status_code = 308


class LeadMergedOut(Schema):
    message: str
    detail: dict[str, Any] = Field(description="merged_into: the surviving lead's id; url: its address.")


@router.get(
    "/leads/{lead_id}",
    response={200: LeadOut, 308: LeadMergedOut, 404: ErrorOut},
    summary="One lead (a merged lead's address answers 308 to the lead it was merged into)",
    description=(
        "A lead merged into another answers `308 Permanent Redirect` with `Location` set to the surviving "
        "lead's address and a JSON body naming it (`detail.merged_into`, `detail.url`): clients that follow "
        "redirects get the survivor, the others read where it went. The survivor must be visible to the "
        "caller; otherwise the answer is 404, as for any lead they may not see."
    ),
)
def get_lead(request: HttpRequest, lead_id: int) -> Any:
    user = signed_in_user(request)
    survivor = lead_survivor(user=user, lead_id=lead_id)
    if survivor is not None:
        url = reverse("api:get_lead", kwargs={"lead_id": survivor.pk})
        body = {
            "message": f"Lead {lead_id} was merged into lead {survivor.pk}.",
            "detail": {"merged_into": survivor.pk, "url": url},
        }
        return PermanentRedirectJson(url, content=json.dumps(body), content_type="application/json")
    lead = lead_get(user=user, lead_id=lead_id)
    prefetch_related_objects([lead], *lead_prefetches())
    return lead_out(lead)


class LeadPatchIn(Schema):
    """The fields to change; those left out stay as they are, an empty string or null clears one.

    Which fields a role may change: the lead's owner, the people who manage them, the sales head and
    admins change contact and company details; marketing and admins also the email and first-touch
    attribution (lead source, UTM values). Stage, owner and consent have their own operations.
    """

    model_config = ConfigDict(extra="forbid")

    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    phone: str | None = None
    mobile: str | None = None
    fax: str | None = None
    website: str | None = None
    industry: str | None = None
    company_size: StrictInt | StrictStr | None = None
    annual_revenue: StrictInt | StrictFloat | StrictStr | None = None
    rating: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    message: str | None = None
    email: str | None = None
    lead_source: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    custom: dict[str, str | int | float | bool | None] | None = Field(
        None, description="Custom fields to set; null or an empty string removes one."
    )


assert set(LeadPatchIn.model_fields) - {"custom"} == set(LEAD_EDITABLE_FIELDS)


@router.patch(
    "/leads/{lead_id}",
    response={200: LeadOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Change a lead's fields (those your role may edit)",
)
def update_lead(request: HttpRequest, lead_id: int, payload: LeadPatchIn) -> dict[str, Any]:
    """Through the same edit service as the lead's edit page; the audit trail records the change."""
    body = payload.model_dump(exclude_unset=True)
    custom = body.pop("custom", None)
    values = {name: (None if value is None else str(value)) for name, value in body.items()}
    lead, _ = lead_fields_edit(
        user=signed_in_user(request), lead_id=lead_id, values=values, custom=custom, channel=Channel.API
    )
    lead = Lead.objects.select_related("account", "owner", "source", "criteria_version").get(pk=lead.pk)
    prefetch_related_objects([lead], *lead_prefetches())
    return lead_out(lead)


# --- a lead's timeline ------------------------------------------------------------------------------------


class TimelineEntryOut(Schema):
    """One entry of a lead's history, as its page tells it."""

    id: int
    type: str = Field(description="The event type, e.g. lead.intake, lead.stage_changed, lead.edited.")
    occurred_at: datetime
    channel: str
    actor: str | None
    stage: str
    headline: str
    lines: list[str]
    from_merged_lead: bool = Field(description="True for history of a lead merged into this one.")


class TimelineQuery(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class TimelineOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[TimelineEntryOut]


@router.get(
    "/leads/{lead_id}/timeline",
    response={200: TimelineOut, 404: ErrorOut},
    summary="A lead's timeline, oldest first, in plain words",
)
def lead_timeline(request: HttpRequest, lead_id: int, query: Query[TimelineQuery]) -> dict[str, Any]:
    lead = lead_get(user=signed_in_user(request), lead_id=lead_id)
    events = lead_events(lead).select_related("actor")

    def row(event: Any) -> dict[str, Any]:
        story = event_story(event, lead)
        return {
            "id": event.pk,
            "type": event.type,
            "occurred_at": event.occurred_at,
            "channel": event.channel,
            "actor": event.actor.username if event.actor_id else None,
            "stage": event.stage,
            "headline": story["headline"],
            "lines": story["lines"],
            "from_merged_lead": story["from_merged"],
        }

    return offset_page(events, limit=query.limit, offset=query.offset, row=row)


# --- accounts ---------------------------------------------------------------------------------------------


class AccountOut(Schema):
    id: int
    name: str
    domains: list[str]
    industry: str
    size: int | None = Field(description="Number of employees.")
    country: str
    website: str
    owner: str | None
    created_at: datetime
    updated_at: datetime


class AccountListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[AccountOut]


class AccountQuery(Schema):
    q: str | None = Field(None, description="Search in the name and domains.")
    domain: str | None = Field(None, description="The account that owns this domain.")
    owner: str | None = Field(None, description="A username or 'me'.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)

    @field_validator("q", "domain", "owner")
    @classmethod
    def no_nul_byte(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character (%00); remove it")
        return value


def account_out(account: Account) -> dict[str, Any]:
    return {
        "id": account.pk,
        "name": account.name,
        "domains": sorted(d.domain for d in account.domains.all()),
        "industry": account.industry,
        "size": account.size,
        "country": account.country,
        "website": account.website,
        "owner": account.owner.username if account.owner else None,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


@router.get("/accounts", response=AccountListOut, summary="List accounts you may see")
def list_accounts(request: HttpRequest, query: Query[AccountQuery]) -> dict[str, Any]:
    """Accounts you may see (every account for marketing, the heads, executives and admins; for sales
    those they own, manage the owner of, or hold a visible lead of), by name."""
    user = signed_in_user(request)
    accounts = access.accounts_visible_to(user).select_related("owner").prefetch_related("domains")
    if query.domain:
        accounts = accounts.filter(domains__domain=normalize_domain(query.domain))
    if query.q:
        term = query.q.strip()
        accounts = accounts.filter(
            Q(name__icontains=term)
            | Q(pk__in=AccountDomain.objects.filter(domain__icontains=term.lower()).values("account"))
        )
    if query.owner == "me":
        accounts = accounts.filter(owner=user)
    elif query.owner:
        accounts = accounts.filter(owner__username=query.owner)
    return offset_page(
        accounts.order_by("name", "pk"), limit=query.limit, offset=query.offset, row=account_out
    )


def _account(request: HttpRequest, account_id: int) -> Account:
    found: Account | None = (
        access.accounts_visible_to(signed_in_user(request))
        .select_related("owner")
        .prefetch_related("domains")
        .filter(pk=account_id)
        .first()
    )
    if found is None:
        raise NotFound("No such account.", detail={"account": account_id})
    return found


@router.get("/accounts/{account_id}", response={200: AccountOut, 404: ErrorOut}, summary="One account")
def get_account(request: HttpRequest, account_id: int) -> dict[str, Any]:
    return account_out(_account(request, account_id))


@router.get(
    "/accounts/{account_id}/people",
    response={200: LeadListOut, 404: ErrorOut},
    summary="The leads of an account that you may see",
)
def account_people(request: HttpRequest, account_id: int, query: Query[TimelineQuery]) -> dict[str, Any]:
    account = _account(request, account_id)
    leads = (
        lead_list(user=signed_in_user(request), filters=LeadFilters())
        .filter(account=account)
        .prefetch_related(*lead_prefetches())
    )
    return offset_page(leads, limit=query.limit, offset=query.offset, row=lead_out)


# --- sources ----------------------------------------------------------------------------------------------


class SourceOut(Schema):
    id: int
    name: str
    kind: str
    is_active: bool
    form_url: str | None = Field(
        description="Where a website form posts (/f/<key>); shown to those who manage sources."
    )
    queue_submissions: bool = Field(
        False,
        description="Form posts are answered once stored and made into leads by the worker "
        "(see POST /submissions).",
    )
    created_at: datetime


class SourceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    kind: Literal["form", "api", "import", "email", "other"] = "form"
    success_url: str = Field("", max_length=200, description="Where a browser goes after a form post.")
    allowed_redirect_hosts: str = Field(
        "", max_length=500, description="Comma-separated hosts a form's retURL may send the browser to."
    )
    queue_submissions: bool = Field(
        False,
        description="Answer form posts as soon as they are stored and make the leads in the background "
        "(the worker, usually within a second): for busy forms.",
    )


def source_out(source: Source, *, manager: bool) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "is_active": source.is_active,
        "form_url": f"/f/{source.public_key}" if manager else None,
        "queue_submissions": source.queue_submissions,
        "created_at": source.created_at,
    }


@router.get("/sources", response=list[SourceOut], summary="Intake sources (forms, API, imports)")
def list_sources(request: HttpRequest) -> list[dict[str, Any]]:
    """Every source by name, for anyone signed in (a lead names its source); the form URL only for
    marketing and admins, who manage sources."""
    user = signed_in_user(request)
    manager = user.has_role(*access.SOURCE_MANAGER_ROLES)
    return [source_out(s, manager=manager) for s in Source.objects.order_by("name")[:1000]]


@router.post(
    "/sources",
    response={201: SourceOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create an intake source",
)
def create_source(request: HttpRequest, payload: SourceIn) -> HttpResponse:
    """A new form, API or import source with its own form key; honours Idempotency-Key."""
    user = signed_in_user(request)
    if not user.has_role(*access.SOURCE_MANAGER_ROLES):
        raise AccessDenied("Only marketing and admins create intake sources.", status=403)

    def run() -> tuple[int, Any]:
        source = source_create(
            name=payload.name,
            kind=payload.kind,
            success_url=payload.success_url,
            allowed_redirect_hosts=payload.allowed_redirect_hosts,
            queue_submissions=payload.queue_submissions,
        )
        return 201, SourceOut.model_validate(source_out(source, manager=True)).model_dump(mode="json")

    return idempotent_response(request, operation="source_create", body=payload.model_dump(), call=run)
