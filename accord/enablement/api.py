"""API for enablement: briefs and their agreement, materials (multipart upload or link), the committee
review, comments, approvals, publishing, and the library's search."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut, json_response, offset_page
from accord.core.errors import ApplicationError, NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.enablement.files import kind_for, stream_file
from accord.enablement.models import (
    BRIEF_QUESTIONS,
    Brief,
    BriefSubject,
    Decision,
    Gate,
    Material,
    SalesStage,
)
from accord.enablement.selectors import (
    LibraryFilters,
    MaterialFilters,
    brief_get,
    brief_list,
    library_search,
    material_get,
    material_list,
    version_visible,
)
from accord.enablement.services import (
    MaterialSpec,
    approval_decide,
    brief_agree,
    brief_create,
    material_comment_add,
    material_create,
    material_opened,
    material_publish,
    material_submit_review,
    publish_blockers,
)
from accord.people.access import signed_in_user

router = Router(tags=["enablement"])


# --- briefs -------------------------------------------------------------------------------------------------


class BriefIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200)
    subject: BriefSubject = BriefSubject.COLLATERAL
    product: str = Field("", max_length=120)
    benefits_whom: str = Field("", description=BRIEF_QUESTIONS[0][1])
    what_it_does: str = Field("", description=BRIEF_QUESTIONS[1][1])
    customer_growth: str = Field("", description=BRIEF_QUESTIONS[2][1])
    how_it_differs: str = Field("", description=BRIEF_QUESTIONS[3][1])
    where_useful: str = Field("", description=BRIEF_QUESTIONS[4][1])
    why_good_investment: str = Field("", description=BRIEF_QUESTIONS[5][1])
    when_payoff: str = Field("", description=BRIEF_QUESTIONS[6][1])
    whats_in_it_for_sales: str = Field("", description=BRIEF_QUESTIONS[7][1])
    brand_message: str = ""
    value_proposition: str = ""
    differentiation: str = ""


class BriefAcceptanceOut(Schema):
    by: str | None
    at: datetime | None


class BriefOut(Schema):
    id: int
    title: str
    subject: BriefSubject
    product: str
    owner: str
    benefits_whom: str
    what_it_does: str
    customer_growth: str
    how_it_differs: str
    where_useful: str
    why_good_investment: str
    when_payoff: str
    whats_in_it_for_sales: str
    brand_message: str
    value_proposition: str
    differentiation: str
    agreed: bool
    missing_answers: list[str]
    marketing_acceptance: BriefAcceptanceOut
    sales_acceptance: BriefAcceptanceOut
    updated_at: datetime


class BriefListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[BriefOut]


class BriefQuery(Schema):
    q: str | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def brief_out(brief: Brief) -> dict[str, Any]:
    return {
        "id": brief.pk,
        "title": brief.title,
        "subject": brief.subject,
        "product": brief.product,
        "owner": brief.owner.username,
        **{name: getattr(brief, name) for name, _ in BRIEF_QUESTIONS},
        "brand_message": brief.brand_message,
        "value_proposition": brief.value_proposition,
        "differentiation": brief.differentiation,
        "agreed": brief.is_agreed,
        "missing_answers": brief.missing_answers(),
        "marketing_acceptance": {
            "by": brief.marketing_agreed_by.username if brief.marketing_agreed_by else None,
            "at": brief.marketing_agreed_at,
        },
        "sales_acceptance": {
            "by": brief.sales_agreed_by.username if brief.sales_agreed_by else None,
            "at": brief.sales_agreed_at,
        },
        "updated_at": brief.updated_at,
    }


@router.get("/briefs", response=BriefListOut, summary="List briefs")
def list_briefs(request: HttpRequest, query: Query[BriefQuery]) -> dict[str, Any]:
    briefs = brief_list(user=signed_in_user(request), q=query.q or "")
    return offset_page(briefs, limit=query.limit, offset=query.offset, row=brief_out)


@router.get("/briefs/{brief_id}", response={200: BriefOut, 404: ErrorOut}, summary="One brief")
def get_brief(request: HttpRequest, brief_id: int) -> dict[str, Any]:
    return brief_out(brief_get(user=signed_in_user(request), brief_id=brief_id))


@router.post(
    "/briefs",
    response={201: BriefOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Draft a brief (marketing): the seven answers and what is in it for sales",
)
def create_brief(request: HttpRequest, payload: BriefIn) -> HttpResponse:
    user = signed_in_user(request)
    data = payload.model_dump(mode="json")

    def run() -> tuple[int, Any]:
        texts = {k: v for k, v in data.items() if k not in ("title", "subject", "product")}
        brief = brief_create(
            user=user,
            title=data["title"],
            subject=data["subject"],
            product=data["product"],
            texts=texts,
            channel=Channel.API,
        )
        return 201, BriefOut.model_validate(brief_out(brief_get(user=user, brief_id=brief.pk))).model_dump(
            mode="json"
        )

    return idempotent_response(request, operation="brief_create", body=data, call=run)


@router.post(
    "/briefs/{brief_id}/agree",
    response={200: BriefOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Accept a brief for your side (its marketing owner, or a salesperson)",
)
def agree_brief(request: HttpRequest, brief_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    brief_agree(brief=brief_get(user=user, brief_id=brief_id), user=user, channel=Channel.API)
    return brief_out(brief_get(user=user, brief_id=brief_id))


# --- materials ------------------------------------------------------------------------------------------------


class MaterialVersionOut(Schema):
    number: int
    note: str
    file_kind: str
    original_name: str
    size: int
    url: str
    download_url: str | None
    preview_status: str
    preview_note: str


class MaterialBriefOut(Schema):
    id: int
    title: str
    agreed: bool
    brand_message: str
    value_proposition: str
    differentiation: str
    whats_in_it_for_sales: str


class MaterialOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    status: str
    origin: str
    owner: str
    customer_facing: bool
    needs_compliance: bool
    needs_legal: bool
    product: str
    stage: str
    vertical: str
    competitor: str
    questions: str
    brief: MaterialBriefOut | None
    current_version: MaterialVersionOut | None
    in_library: bool
    published_at: datetime | None
    publish_blockers: list[str] = Field(description="Why it cannot be published now (left empty in lists).")
    updated_at: datetime


class MaterialListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[MaterialOut]


class MaterialQuery(Schema):
    status: str | None = None
    q: str | None = None
    mine: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class MaterialForm(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200)
    description: str = ""
    brief: int | None = Field(None, description="The brief the material is built on.")
    url: str = Field("", description="A link, when the material is a web page rather than a file.")
    note: str = Field("", description="What this version is.")
    customer_facing: bool = True
    needs_compliance: bool = False
    needs_legal: bool = False
    product: str = ""
    stage: SalesStage | None = None
    vertical: str = ""
    competitor: str = ""
    questions: str = ""


def _version_out(material: Material, version: Any) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "number": version.number,
        "note": version.note,
        "file_kind": version.file_kind,
        "original_name": version.original_name,
        "size": version.size,
        "url": version.url,
        "download_url": f"/api/v1/materials/{material.pk}/versions/{version.number}/file"
        if version.file
        else None,
        "preview_status": version.preview_status,
        "preview_note": version.preview_note,
    }


def _brief_summary(brief: Brief | None) -> dict[str, Any] | None:
    if brief is None:
        return None
    return {
        "id": brief.pk,
        "title": brief.title,
        "agreed": brief.is_agreed,
        "brand_message": brief.brand_message,
        "value_proposition": brief.value_proposition,
        "differentiation": brief.differentiation,
        "whats_in_it_for_sales": brief.whats_in_it_for_sales,
    }


def material_out(material: Material, *, detail: bool = True) -> dict[str, Any]:
    """One material; lists leave out the publish blockers (a few queries per row)."""
    brief = material.brief
    return {
        "id": material.pk,
        "title": material.title,
        "description": material.description,
        "kind": material.kind,
        "status": material.status,
        "origin": material.origin,
        "owner": material.owner.username,
        "customer_facing": material.customer_facing,
        "needs_compliance": material.needs_compliance,
        "needs_legal": material.needs_legal,
        "product": material.product,
        "stage": material.stage,
        "vertical": material.vertical,
        "competitor": material.competitor,
        "questions": material.questions,
        "brief": _brief_summary(brief),
        "current_version": _version_out(material, material.current_version),
        "in_library": material.in_library,
        "published_at": material.published_at,
        "publish_blockers": publish_blockers(material)
        if material.status in ("in_review", "approved")
        else [],
        "updated_at": material.updated_at,
    }


@router.get("/materials", response=MaterialListOut, summary="List materials you may see")
def list_materials(request: HttpRequest, query: Query[MaterialQuery]) -> dict[str, Any]:
    materials = material_list(
        user=signed_in_user(request),
        filters=MaterialFilters(status=query.status or "", q=query.q or "", mine=query.mine),
    )
    return offset_page(
        materials, limit=query.limit, offset=query.offset, row=lambda m: material_out(m, detail=False)
    )


@router.get("/materials/{material_id}", response={200: MaterialOut, 404: ErrorOut}, summary="One material")
def get_material(request: HttpRequest, material_id: int) -> dict[str, Any]:
    return material_out(material_get(user=signed_in_user(request), material_id=material_id))


@router.get(
    "/materials/{material_id}/versions/{version_number}/file",
    response={200: None, 404: ErrorOut},
    summary="Download a version's file (streamed to those who may see it)",
)
def download_material(request: HttpRequest, material_id: int, version_number: int) -> HttpResponseBase:
    user = signed_in_user(request)
    material = material_get(user=user, material_id=material_id)
    found = material.versions.filter(number=version_number).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(
            f"Material {material_id} has no version {version_number}.", detail={"version": version_number}
        )
    version = version_visible(user=user, material=material, version_id=found)
    if not version.file:
        raise NotFound("This version is a link, not a file.", detail={"url": version.url})
    if version.pk == material.published_version_id:
        material_opened(material=material, user=user)
    kind = kind_for(version.content_type)
    return stream_file(
        version.file,
        content_type=version.content_type,
        name=version.original_name,
        inline=bool(kind and kind.inline),
    )


@router.post(
    "/materials",
    response={201: MaterialOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Create a material: a multipart upload (field 'file') or a link (field 'url')",
    # The form's fields only: an unknown field (an owner, a status) is refused, as for JSON bodies.
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"schema": {"additionalProperties": False}}}}
    },
)
def create_material(
    request: HttpRequest,
    payload: Form[MaterialForm],
    file: UploadedFile | None = File(None, description="The file: PDF, image or office document."),
) -> HttpResponse:
    user = signed_in_user(request)
    unknown = sorted(set(request.POST) - set(MaterialForm.model_fields) - {"csrfmiddlewaretoken"})
    unknown += sorted(set(request.FILES) - {"file"})
    if unknown:
        raise ApplicationError(
            f"Unknown fields: {', '.join(unknown)}.",
            detail=dict.fromkeys(unknown, "unknown field"),
            status=422,
        )
    data = payload.model_dump(mode="json")
    if file is not None:
        digest = hashlib.sha256()
        for chunk in file.chunks():
            digest.update(chunk)
        file.seek(0)
        data["file_sha256"] = digest.hexdigest()

    def run() -> tuple[int, Any]:
        spec = MaterialSpec(
            title=payload.title,
            description=payload.description,
            brief_id=payload.brief,
            customer_facing=payload.customer_facing,
            needs_compliance=payload.needs_compliance,
            needs_legal=payload.needs_legal,
            product=payload.product,
            stage=payload.stage or "",
            vertical=payload.vertical,
            competitor=payload.competitor,
            questions=payload.questions,
        )
        material = material_create(
            user=user, spec=spec, upload=file, url=payload.url, note=payload.note, channel=Channel.API
        )
        out = material_out(material_get(user=user, material_id=material.pk))
        return 201, MaterialOut.model_validate(out).model_dump(mode="json")

    return idempotent_response(request, operation="material_create", body=data, call=run)


class MaterialReviewStartOut(Schema):
    material: int
    status: str
    committee_review: bool = Field(description="Customer-facing material goes to the sales committee.")
    deadline: datetime | None = Field(description="When the committee's window closes.")
    business_days: int = Field(description="The window, in business days of the reviewers' team calendars.")
    reviewers: list[str]
    gates: list[str] = Field(description="Blocking approvals required before publishing.")


@router.post(
    "/materials/{material_id}/submit-review",
    response={200: MaterialReviewStartOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Send a draft to review; returns the committee's deadline (two business days)",
)
def submit_review_material(request: HttpRequest, material_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    started = material_submit_review(
        material=material_get(user=user, material_id=material_id), user=user, channel=Channel.API
    )
    review = started.review
    return {
        "material": material_id,
        "status": started.material.status,
        "committee_review": review is not None,
        "deadline": started.deadline,
        "business_days": started.business_days,
        "reviewers": [r.username for r in review.reviewers.all()] if review else [],
        "gates": started.material.required_gates(),
    }


class MaterialCommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str
    page: int | None = Field(None, ge=1, description="The page the comment is about.")
    quote: str = Field("", max_length=500, description="Or the passage it is about, quoted.")


class MaterialCommentOut(Schema):
    id: int
    author: str
    body: str
    page: int | None
    quote: str
    within_window: bool
    created_at: datetime


@router.post(
    "/materials/{material_id}/comments",
    response={201: MaterialCommentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Comment on a material in review, anchored to a page or a quoted passage",
)
def comment_material(request: HttpRequest, material_id: int, payload: MaterialCommentIn) -> HttpResponse:
    user = signed_in_user(request)
    comment = material_comment_add(
        material=material_get(user=user, material_id=material_id),
        user=user,
        body=payload.body,
        page=payload.page,
        quote=payload.quote,
        channel=Channel.API,
    )
    out = MaterialCommentOut.model_validate(
        {
            "id": comment.pk,
            "author": user.username,
            "body": comment.body,
            "page": comment.page,
            "quote": comment.quote,
            "within_window": comment.within_window,
            "created_at": comment.created_at,
        }
    )
    return json_response(request, out.model_dump(mode="json"), status=201)


class MaterialApprovalIn(Schema):
    model_config = ConfigDict(extra="forbid")

    gate: Gate
    decision: Decision
    note: str = ""


class MaterialApprovalOut(Schema):
    gate: str
    decision: str
    decided_by: str
    material_status: str


@router.post(
    "/materials/{material_id}/approvals",
    response={201: MaterialApprovalOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Decide a blocking gate (compliance or legal) on the current version",
)
def approve_material(request: HttpRequest, material_id: int, payload: MaterialApprovalIn) -> HttpResponse:
    user = signed_in_user(request)
    approval = approval_decide(
        material=material_get(user=user, material_id=material_id),
        user=user,
        gate=payload.gate,
        decision=payload.decision,
        note=payload.note,
        channel=Channel.API,
    )
    out = MaterialApprovalOut.model_validate(
        {
            "gate": approval.gate,
            "decision": approval.decision,
            "decided_by": user.username,
            "material_status": Material.objects.values_list("status", flat=True).get(pk=material_id),
        }
    )
    return json_response(request, out.model_dump(mode="json"), status=201)


class MaterialPublishIn(Schema):
    model_config = ConfigDict(extra="forbid")

    change_note: str = Field(description="What is new or changed, and why: the whole sales team is told.")


@router.post(
    "/materials/{material_id}/publish",
    response={200: MaterialOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Publish to the library (409 while a blocking approval is missing)",
)
def publish_material(request: HttpRequest, material_id: int, payload: MaterialPublishIn) -> dict[str, Any]:
    user = signed_in_user(request)
    material_publish(
        material=material_get(user=user, material_id=material_id),
        user=user,
        change_note=payload.change_note,
        channel=Channel.API,
    )
    return material_out(material_get(user=user, material_id=material_id))


# --- the library -----------------------------------------------------------------------------------------------


class MaterialLibraryQuery(Schema):
    q: str | None = Field(None, description="Words in the title, description or questions answered.")
    product: str | None = None
    stage: SalesStage | None = None
    vertical: str | None = None
    competitor: str | None = None
    question: str | None = Field(None, description="A customer question the material answers.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class LibraryItemOut(Schema):
    id: int
    title: str
    description: str
    product: str
    stage: str
    vertical: str
    competitor: str
    questions: str
    kind: str
    version: int | None
    published_at: datetime | None
    rating: float | None
    ratings: int
    url: str
    brief: MaterialBriefOut | None


class LibraryListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[LibraryItemOut]


def library_item_out(material: Any) -> dict[str, Any]:
    return {
        "id": material.pk,
        "title": material.title,
        "description": material.description,
        "product": material.product,
        "stage": material.stage,
        "vertical": material.vertical,
        "competitor": material.competitor,
        "questions": material.questions,
        "kind": material.kind,
        "version": material.published_version.number if material.published_version else None,
        "published_at": material.published_at,
        "rating": round(material.rating, 2) if material.rating is not None else None,
        "ratings": material.ratings_count,
        "url": reverse("enablement:library_material", args=[material.pk]),
        "brief": _brief_summary(material.brief),
    }


@router.get("/library", response=LibraryListOut, summary="Search the library (published material)")
def search_library(request: HttpRequest, query: Query[MaterialLibraryQuery]) -> dict[str, Any]:
    filters = LibraryFilters(
        q=(query.q or "").strip(),
        product=(query.product or "").strip(),
        stage=query.stage or "",
        vertical=(query.vertical or "").strip(),
        competitor=(query.competitor or "").strip(),
        question=(query.question or "").strip(),
    )
    return offset_page(
        library_search(user=signed_in_user(request), filters=filters),
        limit=query.limit,
        offset=query.offset,
        row=library_item_out,
    )
