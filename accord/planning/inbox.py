"""What's in it for sales, where reps work: a small panel above the rep inbox (registered with
``accord.sla.inbox_panels`` in ``PlanningConfig.ready``) listing the launches and campaigns live now or
starting within two weeks, each with its benefit for sales. Hidden when there are none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accord.campaigns.models import Campaign, CampaignStatus
from accord.people.access import campaigns_visible_to

HORIZON_DAYS = 14
PANEL_LIMIT = 5
LIVE_STATUSES = (CampaignStatus.PLANNED, CampaignStatus.ACTIVE)


def launches_for_sales(user: Any) -> QuerySet[Campaign]:
    """At most ``PANEL_LIMIT`` launches and campaigns that run today or start within ``HORIZON_DAYS``
    and say what is in them for sales: launches first, then by start date. One query; the
    ``is_launch, start_date`` index serves the filter and the order."""
    today = timezone.localdate()
    return (
        campaigns_visible_to(user)
        .filter(
            is_launch__in=[True, False],
            start_date__lte=today + timedelta(days=HORIZON_DAYS),
            status__in=LIVE_STATUSES,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exclude(benefit_for_sales="")
        .only("name", "is_launch", "start_date", "end_date", "benefit_for_sales")
        .order_by("-is_launch", "start_date", "id")[:PANEL_LIMIT]
    )


def launches_inbox_panel(request: HttpRequest) -> SafeString:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return mark_safe("")
    campaigns = list(launches_for_sales(user))
    if not campaigns:
        return mark_safe("")
    return mark_safe(
        render_to_string(
            "planning/_inbox_launches.html",
            {"campaigns": campaigns, "today": timezone.localdate(), "horizon": HORIZON_DAYS},
        )
    )
