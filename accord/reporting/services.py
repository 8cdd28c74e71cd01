"""Writes of reporting: sending the executive summary by email (the rollups live in ``rollups``)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import strip_tags

from accord.core.calendar import fiscal_calendar
from accord.reporting.rollups import rollups_refresh
from accord.reporting.selectors import executive_dashboard, executive_recipients, quarter_period


def executive_summary_send(*, today: date | None = None, recipients: list[str] | None = None) -> int:
    """Render the executive summary of the fiscal quarter containing ``today`` and email it; returns
    the number of recipients (0 sends nothing)."""
    to = recipients if recipients is not None else executive_recipients()
    if not to:
        return 0
    rollups_refresh()
    period = quarter_period(today or timezone.now().date(), fiscal_calendar())
    dashboard = executive_dashboard(period=period)
    html = render_to_string(
        "reporting/summary_email.html",
        {"dashboard": dashboard, "site_url": getattr(settings, "SITE_URL", "")},
    )
    message = EmailMultiAlternatives(
        subject=f"Accord executive summary — {period.label}",
        body=strip_tags(html),
        to=to,
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return len(to)
