"""Schemathesis as an outside client sees the API: over HTTP against a running server, with
schemathesis's default generation (valid and invalid input, any string, NUL and odd encodings
included), as three kinds of user (an admin, a sales rep, a marketing user), every operation, and the
stateful links schemathesis infers (create, then read, change and act on what was created). The one
check is the one that matters to an outsider: no server error.

``make test`` runs a short budget (about a minute). ``ACCORD_FUZZ_LONG=1`` runs the long one: more
examples per operation, schemathesis's coverage phase, and more stateful steps; ``.ci/run`` runs it
once on PostgreSQL. ``tests/fuzz/test_api_schemathesis.py`` keeps the strict schema-conformance run.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error

LONG = os.environ.get("ACCORD_FUZZ_LONG", "").strip().lower() in {"1", "true", "yes", "on"}
EXAMPLES = 25 if LONG else 1
STATEFUL_EXAMPLES = 20 if LONG else 2
STATEFUL_STEPS = 12 if LONG else 4
CHECKS = [not_a_server_error]
SCHEMA_PATH = "/api/v1/openapi.json"
USERS = ("root", "bob", "alice")  # admin, sales rep, marketing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outside_world(personas):
    """The shared personas with API tokens, and a few records of each kind for the ids to point at."""
    from accord.campaigns.services import campaign_create
    from accord.deals.models import Deal
    from accord.leads.models import Account, Lead, Stage
    from accord.people.services import api_token_create

    account = Account.objects.create(name="Acme Health", name_key="acme health", owner=personas.bob)
    lead = Lead.objects.create(
        email="vera.park@acmehealth.com",
        email_key="vera.park@acmehealth.com",
        first_name="Vera",
        company="Acme Health",
        stage=Stage.SAL,
        owner=personas.bob,
        account=account,
    )
    Deal.objects.create(
        name="Acme deal", account=account, contact=lead, owner=personas.bob, amount=Decimal("1000"),
        created_by=personas.bob,
    )  # fmt: skip
    campaign_create(actor=personas.alice, name="Spring webinar", description="Ten speakers")
    return {name: api_token_create(user=getattr(personas, name), name="outside")[0] for name in USERS}


def _served_schema() -> dict:
    """The OpenAPI document the server publishes (read once, in process: it needs no database)."""
    from django.test import Client

    return Client().get(SCHEMA_PATH).json()


# Loaded from the document alone (no application object), so every call goes over HTTP to the
# running server given as base_url, through all of its middleware, as an outside client's would.
schema = schemathesis.openapi.from_dict(_served_schema())
# Defaults otherwise (generation modes, strings, codecs): only the budget is set here, and the
# phases: the coverage phase has no budget of its own, so it runs in the long run only.
schema.config.generation.update(max_examples=EXAMPLES, deterministic=not LONG, database="none")
# "stateful" lets schemathesis infer the links between operations (dependency analysis of the schema)
# for the state machine test below.
schema.config.phases.update(
    phases=["examples", "coverage", "fuzzing", "stateful"] if LONG else ["examples", "fuzzing", "stateful"]
)
schema.config.update(continue_on_failure=True)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error_to_any_kind_of_user(case, live_server, outside_world):
    for token in outside_world.values():
        case.call_and_validate(
            base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )


@pytest.mark.parametrize("who", USERS)
def test_stateful_sequences_of_calls_find_no_server_error(live_server, outside_world, who):
    token = outside_world[who]
    machine = schema.as_state_machine()
    calls: list[str] = []

    class AsUser(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case):
            calls.append(f"{case.method} {case.formatted_path}")
            return {"base_url": live_server.url, "headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response, case, **kwargs):
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:
                failures.append(f"{case.method} {case.formatted_path}: {exc}")
                raise

    failures: list[str] = []
    try:
        AsUser.run(
            settings=hypothesis_settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                derandomize=not LONG,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
        )
    except FlakyStrategyDefinition:
        # The server's database outlives each example, so which links are open (what earlier calls
        # made) can differ when hypothesis draws the same choices again, and hypothesis then calls its
        # own generation flaky. Only a check that failed on the way is a finding: it is reported.
        assert not failures, "\n".join(failures)
    assert calls, "the state machine made no call: schemathesis found no links between operations"
