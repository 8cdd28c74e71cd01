"""Schemathesis against /api/v1/openapi.json, in process through Django's WSGI application.

Every operation is fuzzed with schema-valid input as two sales managers of different teams, each
with a personal API token. For every generated request we check:

* no 5xx (``not_a_server_error``);
* the status code is one the operation documents (``status_code_conformance``);
* the body matches the documented schema for that status (``response_schema_conformance``).

Then an object-level leak check: for every ``GET .../{id}`` operation, the other team's manager
gets a 404 (or, for the team-scoped conversion facts, a 403) for the first manager's record.

The budget is small and derandomized so CI runs are quick and repeatable. The calls go through the
WSGI application on another connection than the test's, hence ``transactional_db``: the data must
be committed (on SQLite the test database is a file, so the application sees it).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.wsgi import application

SCHEMA_PATH = "/api/v1/openapi.json"
MAX_EXAMPLES = 12

schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application)
# Schema-valid input only: invalid input is rejected by django-ninja with a 422 on every operation,
# which would only test the framework. Examples and fuzzing; the coverage phase is unbounded.
# Strings without NUL and without unpaired surrogates: every operation refuses those with a 422 by
# one rule (config/api.py TextParser, tested in accord/core/tests/test_api_text.py), which the
# schema cannot express.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    allow_x00=False,
    codec="utf-8",
)
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.update(continue_on_failure=True)

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


class FuzzWorld:
    """Two teams, a manager each with an API token, and records owned inside team A."""


@pytest.fixture
def fuzz_world(transactional_db):

    from accord.audit.models import ChangeRecord
    from accord.campaigns.tests.factories import LeadFactory
    from accord.deals.models import Deal
    from accord.leads.models import Account, Stage
    from accord.notifications.models import Notification, NotificationKind
    from accord.people.models import Role, Team
    from accord.people.services import api_token_create, user_create

    w = FuzzWorld()
    w.team_a = Team.objects.create(name="Team A", segment="Healthcare")
    w.team_b = Team.objects.create(name="Team B", segment="Financial services")
    w.user_a = user_create(username="fuzz-a", roles=[Role.SALES_MANAGER], team=w.team_a)
    w.user_b = user_create(username="fuzz-b", roles=[Role.SALES_MANAGER], team=w.team_b)
    w.team_a.manager, w.team_b.manager = w.user_a, w.user_b
    w.team_a.save()
    w.team_b.save()
    w.token_a, _ = api_token_create(user=w.user_a, name="fuzz")
    w.token_b, _ = api_token_create(user=w.user_b, name="fuzz")
    # A rep of team B, for team-scoped aggregates a manager (a dashboard reader) may read.
    w.rep_b = user_create(username="fuzz-rep-b", roles=[Role.SALES_REP], team=w.team_b, manager=w.user_b)
    w.token_rep_b, _ = api_token_create(user=w.rep_b, name="fuzz")

    w.account = Account.objects.create(name="Acme Health", name_key="acme health", owner=w.user_a)
    w.lead = LeadFactory(
        email="a.lead@acme.example", owner=w.user_a, stage=Stage.SAL, company="Acme Health", account=w.account
    )
    w.deal = Deal.objects.create(
        name="Acme deal", account=w.account, contact=w.lead, owner=w.user_a,
        amount=Decimal("1000"), created_by=w.user_a,
    )  # fmt: skip
    w.notification = Notification.objects.create(
        user=w.user_a, kind=NotificationKind.SLA_REMINDER, subject="For A"
    )
    w.lead_change = ChangeRecord.objects.filter(object_type="leads.lead", object_id=str(w.lead.pk)).first()
    return w


def headers_for(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fuzz_world):
    for token in (fuzz_world.token_a, fuzz_world.token_b):
        case.call_and_validate(headers=headers_for(token), checks=CHECKS)


# --- object-level leak check ----------------------------------------------------------------------

# GET operations reading one object by id, and which of team A's records to ask for. Records here
# are shared by design (every authenticated user reads them) and map to None.
ID_READS = {
    "/api/v1/leads/{lead_id}": lambda w: w.lead.pk,
    "/api/v1/deals/{deal_id}": lambda w: w.deal.pk,
    "/api/v1/audit/{record_id}": lambda w: w.lead_change.pk,
    "/api/v1/reports/conversion-facts/{team_id}": lambda w: w.team_a.pk,
    "/api/v1/accounts/{account_id}": lambda w: w.account.pk,
    # Colleagues are read by everyone signed in (names, roles, team; no email addresses).
    "/api/v1/users/{user_id}": None,
    # Import jobs are the import desk's (marketing, admins): a manager gets a 403 for every one, owner or
    # not (the access matrix checks who reads them).
    "/api/v1/imports/{job_id}": None,
    # Qualification criteria and campaigns are organisation-wide configuration, readable by all.
    "/api/v1/criteria/{criteria_id}": None,
    "/api/v1/campaigns/{campaign_id}": None,
    # Communications and their A/B results are read by marketing, sales and executives alike.
    "/api/v1/communications/{communication_id}": None,
    # Joint planning is shared work: everyone with a role reads goals, plans and their disagreements.
    "/api/v1/goals/{goal_id}": None,
    "/api/v1/plans/{plan_id}": None,
    "/api/v1/disagreements/{disagreement_id}": None,
    # Briefs are the shared message: every role reads every brief.
    "/api/v1/briefs/{brief_id}": None,
    # A queued submission is its sender's (and the marketing desk's).
    "/api/v1/submissions/{submission_id}": lambda w: _submission(w).pk,
    # A draft material is its owner's and marketing's until it is published.
    "/api/v1/materials/{material_id}": lambda w: _draft_material(w).pk,
}
ADMIN_ONLY = {"/api/v1/audit/{record_id}"}
# Conversion facts are a dashboard: every dashboard reader (managers included) may read any team's,
# so the team boundary is checked with a rep of team B, who reads only their own team's.
OUTSIDER_IS_REP = {"/api/v1/reports/conversion-facts/{team_id}"}
# Records answer 404 so their existence does not leak; a team's aggregate answers 403, with a
# message that says nothing of the team.
REFUSAL = {"/api/v1/reports/conversion-facts/{team_id}": 403}


def _submission(w):
    from django.utils import timezone

    from accord.leads.models import QueuedSubmission

    return QueuedSubmission.objects.create(
        received_at=timezone.now(), channel="api", actor=w.user_a, data={"email": "a.lead@acme.example"}
    )


def _draft_material(w):
    from accord.enablement.services import MaterialSpec, material_create

    return material_create(
        user=w.user_a, spec=MaterialSpec(title="Acme draft"), url="https://acme.example/deck"
    )


def id_read_paths() -> set[str]:
    raw = schema.raw_schema
    return {
        "/api/v1" + path if not path.startswith("/api/v1") else path
        for path, ops in raw["paths"].items()
        if "get" in ops and re.search(r"\{\w*_id\}$", path)
    }


def test_every_id_read_is_classified():
    """A new ``GET .../{id}`` operation fails here until it is added to ID_READS (and checked)."""
    assert id_read_paths() == set(ID_READS)


@pytest.mark.parametrize("path", sorted(p for p, f in ID_READS.items() if f is not None))
def test_other_team_cannot_read_the_record(path, fuzz_world):
    from django.test import Client

    object_id = ID_READS[path](fuzz_world)
    assert object_id is not None, f"the fixture has no record for {path}"
    url = re.sub(r"\{\w+\}", str(object_id), path)
    owner = Client(headers=headers_for(fuzz_world.token_a)).get(url)
    # The change log is admins' (and heads' for configuration): no manager reads it, not even the
    # owner of the lead it is about; the outsider check below still applies.
    expected = 404 if path in ADMIN_ONLY else 200
    assert owner.status_code == expected, (url, owner.status_code, owner.content[:300])
    token = fuzz_world.token_rep_b if path in OUTSIDER_IS_REP else fuzz_world.token_b
    outsider = Client(headers=headers_for(token)).get(url)
    assert outsider.status_code == REFUSAL.get(path, 404), (url, outsider.status_code, outsider.content[:300])
    # Nothing of the record in the refusal.
    body = outsider.content.decode()
    for secret in ("a.lead@acme.example", "Acme", "Team A"):
        assert secret not in body, (url, body)


def test_other_user_cannot_mark_a_notification_read(fuzz_world):
    from django.test import Client

    url = f"/api/v1/notifications/{fuzz_world.notification.pk}/read"
    outsider = Client(headers=headers_for(fuzz_world.token_b)).post(url)
    assert outsider.status_code == 404, (outsider.status_code, outsider.content[:300])
    fuzz_world.notification.refresh_from_db()
    assert fuzz_world.notification.read_at is None
