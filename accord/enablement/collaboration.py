"""Enablement's figure on the "how marketing and sales work together" panel (registered with
``accord.core.collaboration`` in ``EnablementConfig.ready``): committee reviews done in the window.

A review counts in the quarter its deadline falls in. It is done when a member of the committee
commented on it by the deadline (the committee has nothing else to mark: its silence lets the review
proceed). Reviews still open with their deadline ahead are left out until they are decided one way or
the other. The committee serves every sales team, so a team's view counts every review (the note says).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone

from accord.core.collaboration import (
    CollaborationFigure,
    FigureValue,
    PanelScope,
    TraceTable,
    register_collaboration_figure,
)
from accord.enablement.models import CommitteeReview, MaterialComment

TRACE_LIMIT = 200
TEAM_NOTE = "The sales committee reviews for every team: this counts all reviews."


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _reviews(scope: PanelScope) -> Any:
    in_time = MaterialComment.objects.filter(
        review_id=OuterRef("pk"),
        created_at__lte=OuterRef("deadline"),
        author__enablement_reviews=OuterRef("pk"),
    )
    return (
        CommitteeReview.objects.filter(
            material__customer_facing=True, deadline__gte=scope.start, deadline__lt=scope.end
        )
        .annotate(done=Exists(in_time))
        .filter(Q(done=True) | Q(deadline__lte=timezone.now()))
    )


def reviews_compute(scope: PanelScope) -> FigureValue:
    # Two counts: an aggregate filtered on the annotation would read it wrongly once the rows are
    # themselves filtered on it.
    reviews = _reviews(scope)
    total, done = reviews.count(), reviews.filter(done=True).count()
    return FigureValue(
        done / total if total else None,
        "percent",
        total,
        [("Proceeded without the committee's comments", str(total - done))],
        note=TEAM_NOTE if scope.team_id is not None else "",
    )


def reviews_trace(scope: PanelScope) -> TraceTable:
    rows = (
        _reviews(scope)
        .select_related("material")
        .annotate(
            in_time=Count(
                "comments",
                filter=Q(comments__created_at__lte=F("deadline")),
                distinct=True,
            )
        )
        .order_by("-deadline", "-id")[:TRACE_LIMIT]
    )
    return TraceTable(
        ["Deadline", "Material", "Sent", "Comments by the deadline", "Done in time"],
        (
            (
                [
                    _when(r.deadline),
                    r.material.title,
                    _when(r.submitted_at),
                    str(r.in_time),
                    "Yes" if r.done else "No",
                ],
                reverse("enablement:material", args=[r.material_id]),
            )
            for r in rows
        ),
    )


def register_enablement_figures() -> None:
    register_collaboration_figure(
        CollaborationFigure(
            "committee_reviews_done",
            "Committee reviews done in the window",
            reviews_compute,
            reviews_trace,
            order=30,
            explanation="Reviews of customer-facing material due in the quarter that the sales committee "
            "commented on within its two business days.",
        )
    )
