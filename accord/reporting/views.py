"""Dashboard pages: marketing, sales leadership and executive, each also as CSV (``?format=csv``),
plus the metric glossary. Views parse the period and cut, call a selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accord.audit.exports import csv_response
from accord.campaigns import attribution
from accord.core.calendar import fiscal_calendar
from accord.people.access import signed_in_user
from accord.reporting import metrics
from accord.reporting.selectors import (
    TITLES,
    dashboard_allowed,
    dashboard_build,
    dashboard_csv_rows,
    dashboards_for,
    period_from,
    quarter_choices,
)
from accord.reporting.services import rollups_refresh_request


@login_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    allowed = dashboards_for(signed_in_user(request))
    if not allowed:
        raise PermissionDenied("Your role has no dashboard.")
    return redirect("reporting:dashboard", kind=allowed[-1] if "executive" in allowed else allowed[0])


@login_required
def dashboard_page(request: HttpRequest, kind: str) -> HttpResponse:
    user = signed_in_user(request)
    if kind not in TITLES:
        raise Http404("No such dashboard.")
    if not dashboard_allowed(user, kind):
        raise PermissionDenied("Your role may not see this dashboard.")
    try:
        period = period_from(request.GET)
        cut = (
            metrics.Cut(request.GET.get("cut", ""), request.GET.get("cut_value", ""))
            if request.GET.get("cut")
            else metrics.Cut()
        )
        model = request.GET.get("model", "") or attribution.FIRST_TOUCH
        attribution.check_model(model)
    except ValueError as exc:
        return HttpResponse(f"Bad request: {exc}", status=400, content_type="text/plain")
    dashboard = dashboard_build(kind, period=period, cut=cut, model=model)
    if dashboard.freshness and dashboard.freshness.pending_events:
        rollups_refresh_request()
    if request.GET.get("format") == "csv":
        return csv_response(
            f"{kind}-{period.start}-{period.last_day}.csv", None, dashboard_csv_rows(dashboard),
            user=user, what=f"reporting.{kind}", filters=request.GET.dict(),
        )  # fmt: skip
    today = timezone.now().date()
    return render(
        request,
        f"reporting/{kind}.html",
        {
            "dashboard": dashboard,
            "quarters": quarter_choices(today, fiscal_calendar()),
            "others": [(k, TITLES[k]) for k in dashboards_for(user)],
            "query": request.GET.urlencode(),
        },
    )


@login_required
def glossary_page(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/glossary.html", {"metrics": metrics.METRICS.values()})


@login_required
def customer_value_page(request: HttpRequest) -> HttpResponse:
    """Which sources, campaigns and reps bring the customers worth the most (C8)."""
    user = signed_in_user(request)
    from accord.reporting.lifecycle import DIMENSIONS, customer_value_by

    if not dashboard_allowed(user, "marketing"):
        raise PermissionDenied("Your role cannot see customer value.")
    dimension = request.GET.get("by", "source")
    if dimension not in DIMENSIONS:
        dimension = "source"
    rows = customer_value_by(dimension)
    if request.GET.get("format") == "csv":
        header = [
            DIMENSIONS[dimension],
            "customers",
            "loyal",
            "advocates",
            "revenue to date",
            "revenue per customer",
            "median days to close",
        ]
        lines = [
            [
                r.key,
                r.customers,
                r.by_stage["loyal"],
                r.by_stage["advocate"],
                r.revenue,
                r.revenue_per_customer,
                r.median_days_to_close,
            ]
            for r in rows
        ]
        return csv_response(
            f"customer-value-by-{dimension}.csv",
            header,
            lines,
            user=user,
            what="reporting.customer_value",
            filters={"by": dimension},
        )
    return render(
        request,
        "reporting/customers.html",
        {
            "rows": rows,
            "dimension": dimension,
            "dimension_label": DIMENSIONS[dimension],
            "dimensions": DIMENSIONS,
        },
    )
