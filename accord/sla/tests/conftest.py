"""SLA test helpers: leads for the personas, a policy, and running the task queue at the travelled time."""

from __future__ import annotations

import itertools

import pytest

from accord.notifications.tests.smtp import smtp_server  # noqa: F401

_emails = itertools.count(1)


@pytest.fixture
def make_lead():
    from accord.leads.models import Lead, Stage

    def make(*, owner=None, stage=Stage.MQL, score=50, **fields):
        n = next(_emails)
        email = fields.pop("email", f"pat{n}@hospital{n}.example")
        return Lead.objects.create(
            email=email,
            email_key=email.lower(),
            first_name="Pat",
            last_name=f"Lee{n}",
            company=f"Hospital {n}",
            stage=stage,
            score=score,
            owner=owner,
            **fields,
        )

    return make


@pytest.fixture
def hot_policy(db):
    from accord.sla.models import SlaPolicy

    return SlaPolicy.objects.create(
        name="Hot",
        priority=10,
        min_score=80,
        accept_hours=1,
        first_touch_hours=2,
        next_touch_hours=8,
        reminder_before_minutes=30,
        escalate_after_hours=2,
        recycle_after_hours=4,
    )
