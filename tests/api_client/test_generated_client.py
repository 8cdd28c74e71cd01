"""A client generated from the served OpenAPI document works against the running server.

Once per test session, the live server's /api/v1/openapi.json is fed to openapi-python-client and the
package it writes is imported; the tests then call Accord through it with a real personal token.
Each call parses the answer into the generated classes, so a schema the document describes wrongly
(two apps' ``ClockOut`` merged into one, say) fails here as it would fail for an integrator: the
client crashed on ``GET /api/v1/leads`` with KeyError 'id' when a lead had a running SLA clock, and
on the active criteria with KeyError 'number'.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from types import ModuleType

import httpx
import pytest
import time_machine

from accord.core.models import Channel
from accord.leads.models import Lead, Stage
from accord.people.services import api_token_create
from accord.qualification.models import CriteriaStatus
from accord.qualification.tests.factories import criteria_with_rules
from accord.sla.services import sla_start_for_assignment

pytestmark = pytest.mark.api_client

PACKAGE = "accord_api_client"
# A Tuesday morning: inside business hours, so SLA deadlines fall the same day.
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
GENERATOR_CONFIG = (
    f"post_hooks: []\npackage_name_override: {PACKAGE}\nproject_name_override: accord-api-client\n"
)


@pytest.fixture(scope="session")
def generated(live_server, tmp_path_factory, django_db_setup, django_db_blocker) -> ModuleType:
    """The generated package: ``generated.api.leads.leads_list`` and so on, ``generated.models``."""
    workdir = tmp_path_factory.mktemp("api-client")
    with django_db_blocker.unblock():
        served = httpx.get(f"{live_server.url}/api/v1/openapi.json", timeout=60)
    assert served.status_code == 200, served.text[:300]
    spec = workdir / "openapi.json"
    spec.write_bytes(served.content)
    config = workdir / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec),
         "--output-path", str(workdir / PACKAGE), "--meta", "none", "--config", str(config)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    # A part of the document the generator cannot represent is left out with a warning.
    assert "Warning" not in output and "Unable to" not in output, output
    sys.path.insert(0, str(workdir))
    try:
        package = importlib.import_module(PACKAGE)
        for module in ("models", "client", "errors"):
            importlib.import_module(f"{PACKAGE}.{module}")
        yield package
    finally:
        sys.path.remove(str(workdir))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def api(name: str) -> ModuleType:
    """One generated operation module, e.g. api("leads.leads_list")."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


@pytest.fixture
def pinned_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def as_user(generated, live_server):
    """A generated client calling the live server with a fresh personal token of the given user."""
    clients = []

    def make(user):
        raw, _ = api_token_create(user=user, name="generated client")
        client = generated.client.AuthenticatedClient(
            base_url=live_server.url, token=raw, raise_on_unexpected_status=True
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.get_httpx_client().close()


def test_a_lead_is_created_listed_with_its_running_clock_and_read(generated, as_user, personas, pinned_clock):
    models = generated.models
    bob = as_user(personas.bob)

    created = api("leads.leads_create").sync_detailed(
        client=bob, body=models.LeadIn(email="nia@clinic.example", first_name="Nia", company="Clinic")
    )

    assert created.status_code == 201
    lead_id = created.parsed.id
    assert created.parsed.created is True
    assert created.parsed.email == "nia@clinic.example"
    # Routed to bob with an accept window running (as routing does after intake).
    Lead.objects.filter(pk=lead_id).update(owner=personas.bob, stage=Stage.MQL)
    sla_start_for_assignment(lead=Lead.objects.get(pk=lead_id), assigned_at=NOW - timedelta(minutes=5))

    listed = api("leads.leads_list").sync(client=bob, owner="me")

    assert isinstance(listed, models.LeadListOut)
    assert [row.id for row in listed.results] == [lead_id]
    (clock,) = listed.results[0].clocks
    assert isinstance(clock, models.LeadClockOut)
    assert (clock.kind, clock.status) == ("accept", "on_time")
    assert clock.due_at > NOW

    read = api("leads.leads_get").sync(client=bob, lead_id=lead_id)

    assert isinstance(read, models.LeadOut)
    assert (read.id, read.first_name, read.owner, read.stage) == (lead_id, "Nia", "bob", "mql")
    assert [c.kind for c in read.clocks] == ["accept"]


def test_a_rep_accepts_a_lead_and_logs_a_touch(generated, as_user, personas, pinned_clock):
    from accord.intake.services import lead_intake

    models = generated.models
    lead = lead_intake(data={"email": "omar@clinic.example"}, channel=Channel.API).lead
    Lead.objects.filter(pk=lead.pk).update(owner=personas.bob, stage=Stage.MQL)
    lead.refresh_from_db()
    sla_start_for_assignment(lead=lead, assigned_at=NOW - timedelta(minutes=5))
    bob = as_user(personas.bob)

    accepted = api("sla.sla_accept_lead").sync(client=bob, lead_id=lead.pk)

    assert isinstance(accepted, models.LeadActionOut)
    assert (accepted.id, accepted.stage, accepted.owner) == (lead.pk, "sal", "bob")
    (clock,) = accepted.clocks
    assert isinstance(clock, models.SlaClockOut)
    assert (clock.lead_id, clock.kind, clock.owner) == (lead.pk, "first_touch", "bob")
    assert clock.seconds_left > 0

    touched = api("sla.sla_log_touch").sync_detailed(
        client=bob,
        lead_id=lead.pk,
        body=models.TouchIn(kind=models.TouchKind.CALL, note="Left a voicemail"),
    )

    assert touched.status_code == 201
    assert isinstance(touched.parsed, models.TouchOut)
    assert (touched.parsed.lead_id, touched.parsed.kind, touched.parsed.note) == (
        lead.pk, "call", "Left a voicemail",
    )  # fmt: skip
    assert touched.parsed.lead.stage == "sal"


def test_the_active_criteria_are_read_with_their_rules(generated, as_user, personas, pinned_clock):
    models = generated.models
    active = criteria_with_rules(version=3, status=CriteriaStatus.ACTIVE, threshold=55)

    criteria = api("qualification.qualification_get_active_criteria").sync(client=as_user(personas.bob))

    assert isinstance(criteria, models.CriteriaOut)
    assert (criteria.id, criteria.version, criteria.mql_threshold) == (active.pk, 3, 55)
    rules = criteria.rules
    assert all(isinstance(rule, models.QualificationRuleOut) for rule in rules)
    assert [(r.position, r.field, r.operator, r.points) for r in rules] == [
        (r.position, r.field, r.operator, r.points) for r in active.rules.order_by("position")
    ]


def test_a_communication_is_created_with_its_variants_and_read_back(
    generated, as_user, personas, pinned_clock
):
    models = generated.models
    alice = as_user(personas.alice)
    campaign = api("campaigns.campaigns_create").sync_detailed(
        client=alice, body=models.CampaignIn(name="Spring webinar")
    )
    assert campaign.status_code == 201

    created = api("communications.communications_create").sync_detailed(
        client=alice,
        campaign_id=campaign.parsed.id,
        body=models.CommunicationIn(
            name="Invitation",
            subject="Join us",
            body="Hello {first_name}",
            variants=[
                models.CommunicationVariantIn(weight=1),
                models.CommunicationVariantIn(subject="Seats are going fast", weight=3),
            ],
        ),
    )

    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.CommunicationOut)
    variants = [(v.key, v.subject, v.weight) for v in created.parsed.variants]
    # An empty subject stands for the communication's own.
    assert variants == [("A", "", 1), ("B", "Seats are going fast", 3)]

    read = api("communications.communications_get").sync(client=alice, communication_id=created.parsed.id)

    assert [(v.key, v.subject, v.weight) for v in read.variants] == variants


def test_the_client_reads_a_refusal_as_the_error_schema(generated, as_user, personas, pinned_clock):
    """A documented error answer parses too: the one ErrorOut every app shares."""
    models = generated.models

    missing = api("leads.leads_get").sync_detailed(client=as_user(personas.bob), lead_id=999_999)

    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.ErrorOut)
    assert "999999 was not found" in missing.parsed.message
