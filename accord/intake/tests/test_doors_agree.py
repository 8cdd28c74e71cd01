"""Every door hands a lead on alike: random submissions, updates and merges fed one by one through
``lead_intake`` and the same rows fed as CSV files through the import end in the same leads, stages,
scores, explanations, owners and SLA clocks, possible duplicates, touchpoints and nurture tracks.

Each example builds both states from an empty database inside a savepoint that is rolled back
afterwards (so the two never see each other); ids and times are normalised away (leads are named by
email). Submissions between two merges form one CSV file; each merge is made in both states at the
same point. The criteria hold fit rules and a disqualifier: engagement points count intake events,
and the import records one event per new lead and a 'lead.updated' event for an update, so the doors
are held equal on what a lead is, not on how many events its rows left.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.campaigns.models import Campaign, Touchpoint
from accord.core.models import Channel
from accord.intake.importing import leads_import
from accord.intake.services import lead_intake
from accord.leads.models import Lead, PossibleDuplicate
from accord.leads.services import lead_merge
from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus
from accord.routing.models import TargetKind
from accord.routing.tests.factories import active_rules
from accord.sla.models import NurtureTrack, SlaClock

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, inside business hours
COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "employees",
    "phone",
    "utm_campaign",
    "activity",
)
RULES = [
    {"kind": "fit", "field": "title", "operator": "contains", "value": "VP", "points": 40},
    {"kind": "fit", "field": "company_size", "operator": "gte", "value": 200, "points": 30},
    {"kind": "disqualifier", "field": "email_domain", "operator": "in", "value": ["gmail.com"], "points": 0},
]

EMAILS = ["ada@acme.com", "bo@acme.com", "cy@globex.com", "di@gmail.com", "ed@initech.io", "fay@acme.com"]
submissions = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "first_name": st.sampled_from(["", "Ada", "ada", "Bo"]),
        "last_name": st.sampled_from(["", "Lovelace", "LOVELACE", "Smith"]),
        "company": st.sampled_from(["", "Acme", "Globex", "Initech"]),
        "title": st.sampled_from(["", "VP Sales", "Engineer"]),
        "employees": st.sampled_from(["", "50", "250"]),
        "phone": st.sampled_from(["", "+1 555 0100", "+1 555 0101"]),
        "utm_campaign": st.sampled_from(["", "spring-launch", "unknown"]),
        # An activity that names a touch kind: without one the kind is the door's channel's.
        "activity": st.sampled_from(["form_submission", "webinar", "event"]),
    }
)
merges = st.tuples(st.sampled_from(EMAILS), st.sampled_from(EMAILS))


@st.composite
def scenarios(draw: Any) -> list[tuple[list[dict[str, str]], list[tuple[str, str]]]]:
    """Files of submissions, each followed by merges (keep, merge) a person makes.

    A file holds one row per person: the import folds a person's rows within one file into one state
    before scoring it (a file is a snapshot), where one-by-one intake scores, and may route, every
    step. And a file updates at most one person already known, in its first row: the import checks
    a file's people for duplicates once all of its rows are written, so two known people trading
    phone numbers within one file would meet one by one, and never in the import.
    """
    known: set[str] = set()
    files = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        rows = draw(st.lists(submissions, min_size=1, max_size=5, unique_by=lambda row: row["email"]))
        updates = [row for row in rows if row["email"] in known]
        rows = updates[:1] + [row for row in rows if row["email"] not in known]
        known.update(row["email"] for row in rows)
        files.append((rows, draw(st.lists(merges, max_size=2))))
    return files


def _setup(personas: Any) -> None:
    from accord.qualification import selectors

    selectors._active_cache.clear()  # ids repeat once a savepoint rolls back
    criteria = CriteriaSet.objects.create(
        version=1, status=CriteriaStatus.ACTIVE, mql_threshold=60, activated_at=NOW
    )
    for i, rule in enumerate(RULES):
        CriteriaRule.objects.create(criteria_set=criteria, position=i, **rule)
    active_rules({"target_kind": TargetKind.USER, "target_user": personas.bob})
    Campaign.objects.create(name="Spring launch", utm_campaign="spring-launch", channel="email")


def _merge(keep_email: str, merge_email: str) -> None:
    keep = Lead.objects.filter(email_key=keep_email, merged_into__isnull=True).first()
    merge = Lead.objects.filter(email_key=merge_email, merged_into__isnull=True).first()
    if keep is not None and merge is not None and keep.pk != merge.pk:
        lead_merge(keep=keep, merge=merge)


def _csv(rows: list[dict[str, str]], folder: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    path = folder / "leads.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _snapshot() -> dict[str, Any]:
    email = dict(Lead.objects.values_list("pk", "email_key"))

    def who(pk: int | None) -> str | None:
        return email.get(pk) if pk is not None else None

    leads = {
        lead.email_key: (
            who(lead.merged_into_id),
            lead.stage,
            lead.score,
            lead.fit_score,
            lead.engagement_score,
            lead.explanation,
            lead.criteria_version_id is not None,
            (lead.first_name, lead.last_name, lead.title, lead.company, lead.company_size, lead.phone_key),
            lead.account.name if lead.account else None,
            lead.owner.username if lead.owner else None,
        )
        for lead in Lead.objects.select_related("account", "owner")
    }
    return {
        "leads": leads,
        "duplicates": sorted(
            (who(d.lead_id), who(d.other_id), d.reason, d.similarity, d.status)
            for d in PossibleDuplicate.objects.all()
        ),
        "touchpoints": sorted(
            (
                who(t.lead_id),
                t.kind,
                t.campaign.name if t.campaign else "",
                t.occurred_at,
                t.activity,
                t.utm_campaign,
            )
            for t in Touchpoint.objects.select_related("campaign")
        ),
        "nurture": sorted(
            (who(t.lead_id), t.source, t.reason, t.entered_at, t.recheck_on, t.exited_at is None)
            for t in NurtureTrack.objects.all()
        ),
        "clocks": sorted(
            (
                who(c.lead_id),
                c.kind,
                c.owner.username if c.owner else None,
                c.started_at,
                c.due_at,
                c.stop_reason,
            )
            for c in SlaClock.objects.select_related("owner")
        ),
    }


def _run(personas: Any, capture: Any, feed: Any) -> dict[str, Any]:
    """Build one state from an empty database, snapshot it, roll it back."""
    with transaction.atomic():
        _setup(personas)
        feed()
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return snapshot


@pytest.fixture
def routing_at_commit(monkeypatch):
    """Routing runs when the door's transaction commits, as the worker would run its task then (the
    SLA deadline tasks it enqueues stay queued: no deadline passes in these tests)."""
    from accord.routing.tasks import route_lead_task, route_leads_task

    monkeypatch.setattr(
        "accord.intake.services.route_lead_later",
        lambda pk: transaction.on_commit(lambda: route_lead_task.call(pk)),
    )
    monkeypatch.setattr(
        "accord.intake.services.route_leads_later",
        lambda ids: transaction.on_commit(lambda: route_leads_task.call(sorted(ids))),
    )


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_intake_one_by_one_and_the_import_of_the_same_rows_end_alike(
    scenario, personas, routing_at_commit, tmp_path, django_capture_on_commit_callbacks, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"

    def one_by_one() -> None:
        for rows, merged in scenario:
            for row in rows:
                with django_capture_on_commit_callbacks(execute=True):
                    lead_intake(data=dict(row), channel=Channel.API, occurred_at=NOW)
            for keep, merge in merged:
                _merge(keep, merge)

    def by_import() -> None:
        for rows, merged in scenario:
            with django_capture_on_commit_callbacks(execute=True):
                summary = leads_import(path=_csv(rows, tmp_path), now=NOW)
            assert summary["rejected"] == 0, summary
            for keep, merge in merged:
                _merge(keep, merge)

    with time_machine.travel(NOW, tick=False):
        per_record = _run(personas, django_capture_on_commit_callbacks, one_by_one)
        imported = _run(personas, django_capture_on_commit_callbacks, by_import)
    for part in ("leads", "duplicates", "touchpoints", "nurture", "clocks"):
        assert imported[part] == per_record[part], (
            _difference(part, per_record[part], imported[part]) + f"\nscenario: {scenario}"
        )


def _difference(part: str, per_record: Any, imported: Any) -> str:
    if isinstance(per_record, dict):
        keys = sorted(set(per_record) | set(imported))
        rows = [
            f"  {k}: one by one {per_record.get(k)} / import {imported.get(k)}"
            for k in keys
            if per_record.get(k) != imported.get(k)
        ]
    else:
        rows = [
            f"  only one by one: {sorted(set(per_record) - set(imported))}",
            f"  only by import: {sorted(set(imported) - set(per_record))}",
        ]
    return f"{part} differ:\n" + "\n".join(rows)
