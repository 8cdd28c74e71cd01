"""Reads for enablement: briefs, materials, the library's search and filters, reports, rounds.

Every read starts from ``accord.people.access``; lists are paginated by their callers and filter on
indexed columns (text search is a bounded ``icontains`` over one page of the library's rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accord.core.calendar_feed import CalendarEntry
from accord.core.errors import NotFound
from accord.deals.models import Deal, DealStage
from accord.enablement.models import (
    Approval,
    Approver,
    Brief,
    Committee,
    CommitteeReview,
    Material,
    MaterialStatus,
    MaterialUse,
    PositioningAnswer,
    PositioningRound,
    Rating,
    ReviewOutcome,
    Share,
    UseKind,
)
from accord.people.access import (
    ENABLEMENT_EDITOR_ROLES,
    access_material_by_id,
    briefs_visible_to,
    material_shares_visible_to,
    materials_visible_to,
    positioning_rounds_visible_to,
)
from accord.people.models import User

# The reports look back this far by default.
REPORT_DAYS = 90
REPORT_ROWS = 20


def brief_list(*, user: User, q: str = "") -> QuerySet[Brief]:
    briefs = briefs_visible_to(user).select_related("owner", "marketing_agreed_by", "sales_agreed_by")
    if q:
        briefs = briefs.filter(Q(title__icontains=q) | Q(product__icontains=q))
    return briefs.order_by("-updated_at", "-id")


def brief_get(*, user: User, brief_id: int) -> Brief:
    brief = brief_list(user=user).filter(pk=brief_id).first()
    if brief is None:
        raise NotFound(f"Brief {brief_id} was not found.", detail={"id": brief_id})
    return brief


@dataclass(frozen=True)
class MaterialFilters:
    status: str = ""
    q: str = ""
    mine: bool = False


def material_list(*, user: User, filters: MaterialFilters = MaterialFilters()) -> QuerySet[Material]:
    materials = materials_visible_to(user).select_related("owner", "brief", "current_version")
    if filters.status:
        materials = materials.filter(status=filters.status)
    if filters.mine:
        materials = materials.filter(owner=user)
    if filters.q:
        materials = materials.filter(Q(title__icontains=filters.q) | Q(product__icontains=filters.q))
    return materials.order_by("-updated_at", "-id")


def material_get(*, user: User, material_id: int) -> Material:
    material: Material = access_material_by_id(user, material_id, action="view")
    return material


def material_versions(material: Material) -> list[Any]:
    return list(material.versions.select_related("uploaded_by").order_by("-number")[:50])


def material_reviews(material: Material) -> list[CommitteeReview]:
    return list(
        CommitteeReview.objects.filter(material=material)
        .select_related("committee", "version")
        .prefetch_related("reviewers")
        .order_by("-submitted_at")[:20]
    )


def material_comments(material: Material) -> list[Any]:
    return list(material.comments.select_related("author", "version").order_by("created_at", "id")[:500])


def material_approvals(material: Material) -> list[Approval]:
    return list(material.approvals.select_related("decided_by", "version").order_by("-created_at")[:50])


def gates_of(user: User) -> set[str]:
    return set(Approver.objects.filter(user=user).values_list("gate", flat=True))


def is_insider(*, user: User, material: Material) -> bool:
    """Whether ``user`` works on the material (marketing, its owner, a committee reviewer of it, an
    approver of a gate it needs), as opposed to reading it in the library."""
    return bool(
        user.has_role(*ENABLEMENT_EDITOR_ROLES)
        or material.owner_id == user.pk
        or CommitteeReview.objects.filter(material=material, reviewers=user).exists()
        or Approver.objects.filter(user=user, gate__in=material.required_gates()).exists()
    )


def version_visible(*, user: User, material: Material, version_id: int) -> Any:
    """A version of a material the user sees. Outside the material's insiders (``is_insider``), only
    the version in the library is served."""
    version = material.versions.filter(pk=version_id).first()
    if version is None:
        raise NotFound("No such version.", detail={"version": version_id})
    if version.pk != material.published_version_id and not is_insider(user=user, material=material):
        raise NotFound("No such version.", detail={"version": version_id})
    return version


@dataclass(frozen=True)
class LibraryFilters:
    q: str = ""
    product: str = ""
    stage: str = ""
    vertical: str = ""
    competitor: str = ""
    question: str = ""


def library_search(*, user: User, filters: LibraryFilters = LibraryFilters()) -> QuerySet[Material]:
    """Published, not retired material the user sees, newest first, narrowed by the filters.

    Product, stage, vertical and competitor are exact, case-insensitive matches on indexed columns;
    ``q`` (title, description) and ``question`` (the questions it answers) are substring matches,
    bounded by the page the caller reads."""
    materials = (
        materials_visible_to(user)
        .filter(published_version__isnull=False, retired_at__isnull=True)
        .select_related("brief", "published_version", "owner")
        .annotate(rating=Avg("ratings__usefulness"), ratings_count=Count("ratings", distinct=True))
    )
    if filters.product:
        materials = materials.filter(product__iexact=filters.product)
    if filters.stage:
        materials = materials.filter(stage=filters.stage)
    if filters.vertical:
        materials = materials.filter(vertical__iexact=filters.vertical)
    if filters.competitor:
        materials = materials.filter(competitor__iexact=filters.competitor)
    if filters.question:
        materials = materials.filter(questions__icontains=filters.question)
    if filters.q:
        materials = materials.filter(
            Q(title__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(questions__icontains=filters.q)
        )
    return materials.order_by("-published_at", "-id")


def library_facets() -> dict[str, list[str]]:
    """The values the library's filters offer (distinct, from published material; a few hundred at most)."""
    live = Material.objects.filter(published_version__isnull=False, retired_at__isnull=True)
    return {
        field: sorted(
            v for v in live.exclude(**{field: ""}).values_list(field, flat=True).distinct()[:200] if v
        )
        for field in ("product", "vertical", "competitor")
    }


def my_rating(*, material: Material, user: User) -> Rating | None:
    return Rating.objects.filter(material=material, user=user).first()


def my_shares(*, user: User, material: Material | None = None) -> list[Share]:
    shares = material_shares_visible_to(user).filter(shared_by=user).select_related("lead", "material")
    if material is not None:
        shares = shares.filter(material=material)
    return list(shares.order_by("-created_at")[:50])


def committee_list() -> list[Committee]:
    return list(
        Committee.objects.prefetch_related("members").select_related("chosen_by").order_by("-starts_on")[:50]
    )


def reviews_waiting_for(user: User) -> list[CommitteeReview]:
    return list(
        CommitteeReview.objects.filter(reviewers=user, outcome=ReviewOutcome.OPEN)
        .select_related("material")
        .order_by("deadline")[:50]
    )


def approvals_waiting_for(user: User) -> list[Material]:
    gates = gates_of(user)
    if not gates:
        return []
    condition = Q()
    if "compliance" in gates:
        condition |= Q(needs_compliance=True)
    if "legal" in gates:
        condition |= Q(needs_legal=True)
    return list(
        Material.objects.filter(
            condition, status__in=[MaterialStatus.IN_REVIEW, MaterialStatus.APPROVED]
        ).order_by("updated_at")[:50]
    )


# --- reports ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryReport:
    since: datetime
    unused: list[Material]
    most_used: list[Any]
    best_rated: list[Any]
    used_in_won_deals: list[Any]
    missing: list[Rating]


def library_report(*, user: User, days: int = REPORT_DAYS, now: datetime | None = None) -> LibraryReport:
    """What the library's material does: unused in the window, most used, best rated, used in won deals
    (shared with a lead whose deal was won after the share), and what reps say is missing."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    live = materials_visible_to(user).filter(published_version__isnull=False, retired_at__isnull=True)
    recent_use = MaterialUse.objects.filter(material=OuterRef("pk"), at__gte=since)
    unused = list(live.filter(~Exists(recent_use)).order_by("published_at")[:REPORT_ROWS])
    most_used = list(
        live.annotate(
            opened=Count("uses", filter=Q(uses__at__gte=since, uses__kind=UseKind.OPENED)),
            shared=Count("uses", filter=Q(uses__at__gte=since, uses__kind=UseKind.SHARED)),
            viewed=Count("uses", filter=Q(uses__at__gte=since, uses__kind=UseKind.VIEWED)),
            used=Count("uses", filter=Q(uses__at__gte=since)),
        )
        .filter(used__gt=0)
        .order_by("-used", "title")[:REPORT_ROWS]
    )
    best_rated = list(
        live.annotate(rating=Avg("ratings__usefulness"), ratings_count=Count("ratings"))
        .filter(ratings_count__gt=0)
        .order_by("-rating", "-ratings_count", "title")[:REPORT_ROWS]
    )
    won_after_share = Deal.objects.filter(
        stage=DealStage.WON, contact_id=OuterRef("lead_id"), closed_at__gte=OuterRef("created_at")
    )
    winning_shares = Share.objects.filter(Exists(won_after_share), material__in=live)
    used_in_won = list(
        live.filter(pk__in=winning_shares.values("material"))
        .annotate(won_deals=Count("shares", filter=Q(shares__in=winning_shares), distinct=True))
        .order_by("-won_deals", "title")[:REPORT_ROWS]
    )
    missing = list(
        Rating.objects.filter(material__in=live)
        .exclude(missing="")
        .select_related("material", "user")
        .order_by("-updated_at")[:REPORT_ROWS]
    )
    return LibraryReport(since, unused, most_used, best_rated, used_in_won, missing)


# --- positioning -------------------------------------------------------------------------------------------------


def positioning_round_list(*, user: User) -> QuerySet[PositioningRound]:
    return positioning_rounds_visible_to(user).annotate(answer_count=Count("answers")).order_by("-deadline")


def positioning_round_get(*, user: User, round_id: int) -> PositioningRound:
    found = positioning_round_list(user=user).filter(pk=round_id).first()
    if found is None:
        raise NotFound(f"Positioning round {round_id} was not found.", detail={"id": round_id})
    return found


def positioning_answers(round_: PositioningRound) -> list[PositioningAnswer]:
    return list(round_.answers.select_related("respondent", "respondent__team").order_by("created_at")[:500])


def my_positioning_answer(*, round_: PositioningRound, user: User) -> PositioningAnswer | None:
    return round_.answers.filter(respondent=user).first()


# --- the calendar -------------------------------------------------------------------------------------------------


def calendar_entries_for(user: Any, start: datetime, end: datetime) -> list[CalendarEntry]:
    """Committee deadlines of the reviews in front of ``user``, and open positioning rounds' deadlines."""
    if not getattr(user, "is_authenticated", False):
        return []
    entries = [
        CalendarEntry(
            uid=f"material-review-{review.pk}@accord",
            title=f"Committee comments due: {review.material.title}",
            starts_at=review.deadline,
            url=f"/enablement/materials/{review.material_id}/",
        )
        for review in CommitteeReview.objects.filter(
            reviewers=user, outcome=ReviewOutcome.OPEN, deadline__gte=start, deadline__lt=end
        ).select_related("material")[:100]
    ]
    entries += [
        CalendarEntry(
            uid=f"positioning-round-{round_.pk}@accord",
            title=f"Positioning input due: {round_.product}",
            starts_at=round_.deadline,
            url=f"/enablement/positioning/{round_.pk}/",
        )
        for round_ in positioning_rounds_visible_to(user).filter(
            closed_at__isnull=True, deadline__gte=start, deadline__lt=end
        )[:100]
    ]
    return entries
