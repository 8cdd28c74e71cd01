"""The routing pages: who sees them, the draft editor, the check, the dry run and activation."""

from __future__ import annotations

import pytest
import time_machine

from accord.routing.models import RoutingRuleSet, RuleSetStatus
from accord.routing.services import rule_set_create
from accord.routing.tests.factories import active_rules, cond, make_lead, make_queue

pytestmark = pytest.mark.django_db


def test_reps_and_marketing_cannot_open_the_routing_pages(client, personas):
    for user in (personas.bob, personas.alice):
        client.force_login(user)
        assert client.get("/routing/").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, personas):
    response = client.get("/routing/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_the_marketing_head_reads_but_cannot_edit(client, personas):
    active_rules({"name": "Health", "target_team": personas.health})
    draft = rule_set_create(actor=personas.sam)
    client.force_login(personas.mona)

    page = client.get("/routing/")
    assert page.status_code == 200
    assert "Health" in page.content.decode()
    assert "New draft" not in page.content.decode()
    detail = client.get(f"/routing/v{draft.version}/")
    assert detail.status_code == 200
    assert "Add a rule" not in detail.content.decode()
    assert client.post(f"/routing/v{draft.version}/", {"name": "x"}).status_code == 403
    assert client.post(f"/routing/v{draft.version}/activate/").status_code == 403


def test_the_home_page_lists_versions_and_queues(client, personas):
    active_rules(
        {
            "name": "Healthcare",
            "conditions": [cond("industry", "equals", "Healthcare")],
            "target_team": personas.health,
        }
    )
    make_queue("Partners", owner=personas.sam)
    client.force_login(personas.sam)

    html = client.get("/routing/").content.decode()

    assert "Version 1" in html
    assert "Healthcare" in html
    assert "team Team Health" in html
    assert "Partners" in html


def test_a_manager_builds_a_draft_sees_the_check_and_activates_it(client, personas):
    make_lead(industry="Healthcare", company_size=5000)
    make_lead(industry="Retail")
    client.force_login(personas.mike)

    response = client.post("/routing/drafts/", {"notes": "First rules"})
    draft = RoutingRuleSet.objects.get()
    assert response["Location"] == f"/routing/v{draft.version}/"

    response = client.post(
        f"/routing/v{draft.version}/",
        {
            "name": "Healthcare",
            "conditions": "industry equals Healthcare",
            "target_kind": "team",
            "target_team": personas.health.pk,
        },
        follow=True,
    )
    assert "Rule &#x27;Healthcare&#x27; added." in response.content.decode()
    client.post(
        f"/routing/v{draft.version}/",
        {
            "name": "Big",
            "conditions": "company_size gte 1000\ncountry absent",
            "target_kind": "user",
            "target_user": personas.charlie.pk,
        },
    )
    html = client.get(f"/routing/v{draft.version}/").content.decode()
    assert "industry = Healthcare" in html
    assert "company_size ≥ 1000 and country is absent" in html
    assert "Overlaps (1)" in html
    assert "Gaps (1)" in html

    big = draft.rules.get(name="Big")
    client.post(f"/routing/rules/{big.pk}/move/", {"direction": "up"})
    assert list(draft.rules.order_by("position").values_list("name", flat=True)) == ["Big", "Healthcare"]

    client.post(f"/routing/v{draft.version}/activate/")
    draft.refresh_from_db()
    assert draft.status == RuleSetStatus.ACTIVE


def test_a_bad_condition_is_shown_on_the_form(client, personas):
    draft = rule_set_create(actor=personas.sam)
    client.force_login(personas.sam)

    response = client.post(
        f"/routing/v{draft.version}/",
        {
            "name": "Shoes",
            "conditions": "shoe_size equals 9",
            "target_kind": "team",
            "target_team": personas.health.pk,
        },
    )

    assert response.status_code == 200
    assert "unknown field &#x27;shoe_size&#x27;" in response.content.decode()
    assert not draft.rules.exists()


@time_machine.travel("2026-03-10 10:00Z", tick=False)
def test_the_dry_run_page_and_its_htmx_partial(client, personas):
    rule_set = active_rules({"name": "Health", "target_team": personas.health})
    make_lead(email="pat@clinic.org")
    client.force_login(personas.mona)

    page = client.get(f"/routing/v{rule_set.version}/dry-run/")
    partial = client.get(f"/routing/v{rule_set.version}/dry-run/", HTTP_HX_REQUEST="true")

    assert page.status_code == partial.status_code == 200
    assert "pat@clinic.org" in page.content.decode()
    assert "round-robin → Bob" in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_the_rule_form_says_what_an_empty_choice_means_instead_of_dashes(db):
    from accord.routing.forms import RuleForm

    html = RuleForm().as_div()
    assert "---------" not in html
    assert "— a team, when sending to a team —" in html and "— a rep, when sending to a rep —" in html
