"""The one hand-off after scoring: route, SLA clock, nurture, possible duplicates; and the wiring
that keeps routing and SLA from calling each other."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.hooks import Hook
from accord.core.models import Channel
from accord.intake.importing import leads_import
from accord.intake.services import lead_intake, leads_hand_off
from accord.leads.hand_off import HandOff
from accord.leads.models import Account, Lead, PossibleDuplicate, Stage
from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus
from accord.qualification.services import criteria_rescore
from accord.sla.models import NurtureSource, NurtureTrack

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ACCORD = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _lead(email: str, **fields) -> Lead:
    return Lead.objects.create(email=email, email_key=email, **fields)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _pairs() -> list[tuple[str, str, str]]:
    return sorted(
        (d.lead.email, d.other.email, d.reason)
        for d in PossibleDuplicate.objects.select_related("lead", "other")
    )


def test_the_import_flags_a_new_lead_with_a_known_phone_number_like_the_api_does(tmp_path):
    _lead("ada@acme.com", phone="+1 555 0100", phone_key="+15550100")
    leads_import(path=_csv(tmp_path, "email,phone\nada.l@other.org,+1 (555) 0100\n"), now=NOW)
    assert _pairs() == [("ada@acme.com", "ada.l@other.org", "same phone number +1 (555) 0100")]


def test_the_import_flags_a_known_lead_whose_new_name_matches_a_colleague_at_its_account(tmp_path):
    acme = Account.objects.create(name="Acme", name_key="acme")
    _lead("ada@acme.com", first_name="Ada", last_name="Lovelace", account=acme)
    _lead("a.l@acme.com", account=acme)
    summary = leads_import(
        path=_csv(tmp_path, "email,first name,last name\na.l@acme.com,ADA,lovelace\n"), now=NOW
    )
    assert summary["updated"] == 1
    assert _pairs() == [("ada@acme.com", "a.l@acme.com", "same name ADA lovelace at the same account")]


def test_a_repeat_submission_that_changes_nothing_the_match_reads_flags_nothing_again(db):
    _lead("ada@acme.com", phone="+1 555 0100", phone_key="+15550100")
    lead_intake(data={"email": "bo@acme.com", "phone": "+1 555 0100"}, channel=Channel.API, occurred_at=NOW)
    PossibleDuplicate.objects.all().update(status="dismissed")
    result = lead_intake(data={"email": "bo@acme.com", "title": "CTO"}, channel=Channel.API, occurred_at=NOW)
    assert result.duplicates_flagged == 0
    assert PossibleDuplicate.objects.get().status == "dismissed"  # a dismissed pair stays dismissed


def test_finding_duplicates_for_many_leads_takes_the_same_few_queries_as_for_one(db):
    acme = Account.objects.create(name="Acme", name_key="acme")
    for n in range(40):
        _lead(
            f"p{n}@acme.com",
            first_name="Pat",
            last_name=f"Lee{n % 5}",
            account=acme,
            phone_key=f"+1555{n % 7}",
        )

    def queries(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as captured:
            leads_hand_off(
                leads=[
                    HandOff(lead_id=pk, previous_stage="", stage=Stage.INQUIRY, check_duplicates=True)
                    for pk in ids
                ],
                at=NOW,
            )
        # Reads only: the pairs are written in batches whose number follows the pairs found.
        return sum(not q["sql"].lstrip().upper().startswith("INSERT") for q in captured.captured_queries)

    ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    one = queries(ids[:1])
    PossibleDuplicate.objects.all().delete()
    assert queries(ids) == one
    # 40 leads in 5 names and 7 phones: every pair sharing one of them, named once
    assert PossibleDuplicate.objects.count() == len(
        {
            tuple(sorted((a, b)))
            for a in range(40)
            for b in range(40)
            if a != b and (a % 5 == b % 5 or a % 7 == b % 7)
        }
    )


def test_the_hand_off_opens_or_reopens_a_nurture_track_with_the_explanation(db):
    fresh = _lead("new@acme.com", stage=Stage.NURTURE)
    back = _lead("back@acme.com", stage=Stage.NURTURE)
    NurtureTrack.objects.create(
        lead=back,
        source=NurtureSource.MANUAL,
        reason="old",
        entered_at=NOW,
        recheck_on=NOW.date(),
        exited_at=NOW,
    )
    with time_machine.travel(NOW, tick=False):
        summary = leads_hand_off(
            leads=[
                HandOff(
                    lead_id=fresh.pk, previous_stage="", stage=Stage.NURTURE, explanation="score 20 < 60"
                ),
                HandOff(
                    lead_id=back.pk,
                    previous_stage=Stage.MQL,
                    stage=Stage.NURTURE,
                    explanation="score 30 < 60",
                ),
            ],
            at=NOW,
        )
    assert summary.nurtured == sorted([fresh.pk, back.pk])
    tracks = {t.lead_id: t for t in NurtureTrack.objects.all()}
    assert (tracks[fresh.pk].reason, tracks[fresh.pk].source, tracks[fresh.pk].exited_at) == (
        "score 20 < 60",
        NurtureSource.CRITERIA,
        None,
    )
    assert (tracks[back.pk].reason, tracks[back.pk].exited_at, tracks[back.pk].entered_at) == (
        "score 30 < 60",
        None,
        NOW,
    )
    assert tracks[fresh.pk].recheck_on > NOW.date()


def test_re_scoring_hands_leads_it_moves_to_nurture_on_with_their_explanation(db):
    criteria = CriteriaSet.objects.create(
        version=1, status=CriteriaStatus.ACTIVE, mql_threshold=60, activated_at=NOW
    )
    CriteriaRule.objects.create(
        criteria_set=criteria,
        position=0,
        kind="fit",
        field="title",
        operator="contains",
        value="VP",
        points=70,
    )
    lead = _lead("ed@acme.com", stage=Stage.INQUIRY, title="Engineer")
    with time_machine.travel(NOW, tick=False):
        criteria_rescore(criteria_set=criteria)
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE
    assert NurtureTrack.objects.get(lead=lead).reason == lead.explanation


def test_an_unfilled_hook_refuses_to_skip_its_step():
    hook: Hook[..., None] = Hook("test step")
    with pytest.raises(ImproperlyConfigured, match="'test step' has no step"):
        hook(lead_ids=[1])
    hook.fill(print)
    with pytest.raises(ImproperlyConfigured, match="already filled"):
        hook.fill(len)


def _imported_apps(folder: str) -> set[str]:
    found = set()
    for path in (ACCORD / folder).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found.update(".".join(n.split(".")[:2]) for n in names if n.startswith("accord."))
    return found


@pytest.mark.parametrize(("app", "sibling"), [("routing", "sla"), ("sla", "routing")])
def test_routing_and_sla_do_not_import_each_other(app, sibling):
    assert f"accord.{sibling}" not in _imported_apps(app)


@pytest.mark.parametrize("app", ["leads", "qualification", "routing", "sla", "campaigns"])
def test_no_app_below_the_conductor_imports_it(app):
    assert "accord.intake" not in _imported_apps(app)
