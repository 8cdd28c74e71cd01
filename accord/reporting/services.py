"""Writes of reporting: asking the worker to refresh the rollups, and sending the executive summary
by email (the rollups themselves live in ``rollups``)."""

from __future__ import annotations

import threading
import time
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import strip_tags

from accord.core.calendar import fiscal_calendar
from accord.reporting.rollups import rollups_refresh
from accord.reporting.selectors import executive_dashboard, executive_recipients, quarter_period
from accord.reporting.tasks import rollups_refresh_task


class RefreshRequests:
    """Remembers when this process last asked for a refresh, so that a busy dashboard asks at most
    once every ``seconds`` (the periodic refresh runs every minute anyway; a request only shortens
    the wait after a burst of events). Duplicates are harmless: a refresh with nothing new does nothing."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last: float | None = None
        self.lock = threading.Lock()

    def due(self) -> bool:
        now = time.monotonic()
        with self.lock:
            if self.last is not None and now - self.last < self.seconds:
                return False
            self.last = now
            return True


REFRESH_REQUESTS = RefreshRequests(seconds=30.0)


def rollups_refresh_request() -> bool:
    """Enqueue a rollup refresh for the worker once the current transaction commits, unless this
    process asked less than ``REFRESH_REQUESTS.seconds`` ago; returns whether it asked."""
    if not REFRESH_REQUESTS.due():
        return False
    transaction.on_commit(rollups_refresh_task.enqueue, robust=True)
    return True


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
