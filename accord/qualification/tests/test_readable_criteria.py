"""Criteria people can read before they sign: countries matched however written, a diff with old and
new values, new drafts from the active version, custom fields in the editor, and the impact preview."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from accord.leads.models import Account, Stage
from accord.qualification.bulk import evaluate_frame, records_frame
from accord.qualification.engine import RuleInvalid, evaluate, rule_validate
from accord.qualification.fields import lead_record
from accord.qualification.impact import criteria_impact
from accord.qualification.models import CriteriaSet, CriteriaStatus
from accord.qualification.selectors import criteria_diff, criteria_spec_of, custom_field_keys
from accord.qualification.services import criteria_rescore
from accord.qualification.tests.factories import criteria_with_rules, lead_create

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
TERRITORY = [
    {"kind": "fit", "field": "country", "operator": "in", "value": ["United States", "DE"], "points": 60}
]


def test_a_country_rule_matches_however_the_lead_and_the_rule_write_the_country(db):
    criteria = criteria_with_rules(rules=TERRITORY)
    spec = criteria_spec_of(criteria)
    leads = [
        lead_create("a@x.com", country="USA"),
        lead_create("b@x.com", country="U.S."),
        lead_create("c@x.com", country="united states of america"),
        lead_create("d@x.com", country="Deutschland"),
        lead_create("e@x.com", country="France"),
        lead_create("f@x.com", country="Atlantis"),
        lead_create("g@x.com", account=Account.objects.create(name="A", name_key="a", country="US")),
    ]
    single = {lead.pk: evaluate(spec, lead_record(lead), [], NOW).fit for lead in leads}
    frame = evaluate_frame(spec, records_frame([lead.pk for lead in leads]), None, NOW)
    bulk = dict(frame.select("lead_key", "fit").iter_rows())
    assert single == bulk  # both engines agree
    assert [single[lead.pk] for lead in leads] == [60, 60, 60, 60, 0, 0, 0]


def test_a_region_is_compared_as_its_iso_code(db):
    lead = lead_create("a@x.com", country="United States", state="CA")
    other = lead_create("b@x.com", country="Canada", state="ON")
    assert (lead_record(lead)["state"], lead_record(other)["state"]) == ("US-CA", "CA-ON")
    rules = [{"kind": "fit", "field": "state", "operator": "equals", "value": "California", "points": 5}]
    spec = criteria_spec_of(criteria_with_rules(rules=rules))
    assert evaluate(spec, lead_record(lead), [], NOW).fit == 5
    assert evaluate(spec, lead_record(other), [], NOW).fit == 0


def test_country_rules_refuse_unknown_countries_and_text_operators():
    with pytest.raises(RuleInvalid, match="unknown country 'Atlantis'"):
        rule_validate(
            kind="fit",
            field="country",
            operator="in",
            value=["US", "Atlantis"],
            points=1,
            half_life_days=None,
        )
    with pytest.raises(RuleInvalid, match="compare countries with"):
        rule_validate(
            kind="fit", field="country", operator="contains", value="United", points=1, half_life_days=None
        )
    assert rule_validate(
        kind="fit", field="account.country", operator="equals", value="usa", points=1, half_life_days=None
    )


def test_the_diff_names_old_and_new_values_not_only_the_label(db):
    labelled = [{**TERRITORY[0], "label": "Country in a sales territory", "points": 5}]
    old = criteria_with_rules(version=1, status=CriteriaStatus.RETIRED, rules=labelled)
    new = criteria_with_rules(
        version=2, rules=[{**labelled[0], "value": ["United States", "DE", "Mexico"], "points": 10}]
    )
    diff = criteria_diff(old, new)
    (changed,) = diff["changed"]
    values, points = changed["differences"]
    assert values == {
        "what": "Values",
        "before": "United States and Germany",
        "after": "United States, Germany and Mexico",
        "added": ["Mexico"],
        "removed": [],
    }
    assert points == {"what": "Points", "before": "+5", "after": "+10"}
    assert changed["after"]["words"] == "Country is United States, Germany or Mexico"


def test_new_draft_on_the_list_starts_from_the_active_version(client_for, personas):
    active = criteria_with_rules(version=1, status=CriteriaStatus.ACTIVE)
    client = client_for(personas.alice)
    page = client.get("/criteria/").content.decode()
    assert f'name="based_on" value="{active.pk}"' in page and "from v1 (active)" in page
    client.post("/criteria/new/")  # even without saying so
    draft = CriteriaSet.objects.get(version=2)
    assert draft.based_on == active and draft.rules.count() == active.rules.count()
    client.post("/criteria/new/", {"based_on": "blank"})
    assert CriteriaSet.objects.get(version=3).rules.count() == 0


def test_the_editor_offers_custom_fields_leads_carry(client_for, personas):
    lead_create("a@x.com", custom={"budget": 5000, "use_case": "triage"})
    assert custom_field_keys() == ["budget", "use_case"]
    draft = criteria_with_rules()
    page = client_for(personas.alice).get(f"/criteria/{draft.pk}/edit/").content.decode()
    assert '<option value="custom.budget">custom field budget</option>' in page


def _impact_world(personas):
    criteria_with_rules(
        version=1,
        status=CriteriaStatus.ACTIVE,
        rules=[{"kind": "fit", "field": "title", "operator": "contains", "value": "VP", "points": 70}],
    )
    active = CriteriaSet.objects.get(version=1)
    vp = lead_create("vp@x.com", title="VP Sales", first_name="Vera", owner=personas.bob)
    director = lead_create("dir@x.com", title="Director", first_name="Dan", owner=personas.charlie)
    analyst = lead_create("an@x.com", title="Analyst", owner=personas.bob)
    working = lead_create("sal@x.com", title="Director", stage=Stage.SAL, owner=personas.bob)
    criteria_rescore(criteria_set=active)
    draft = criteria_with_rules(
        version=2,
        rules=[{"kind": "fit", "field": "title", "operator": "contains", "value": "Director", "points": 70}],
    )
    return draft, vp, director, analyst, working


def test_the_impact_preview_counts_moves_each_way_with_examples_and_writes_nothing(personas):
    draft, vp, _director, _analyst, working = _impact_world(personas)
    impact = criteria_impact(criteria_set=draft, user=personas.mona, as_of=NOW)
    assert (impact.evaluated, impact.stage_changed, impact.to_sales, impact.from_sales) == (4, 2, 1, 1)
    moves = {(m.from_stage, m.to_stage): m for m in impact.moves}
    assert moves[("nurture", "mql")].examples[0]["name"] == "Dan"
    assert moves[("mql", "nurture")].examples[0] | {"url": ""} == {
        "id": vp.pk,
        "name": "Vera",
        "company": "",
        "score": 70,
        "new_score": 0,
        "url": "",
    }
    vp.refresh_from_db()
    working.refresh_from_db()
    assert (vp.stage, vp.score, working.stage) == (Stage.MQL, 70, Stage.SAL)  # nothing written
    # Counts are everyone's; examples only the reader's leads.
    bobs = criteria_impact(criteria_set=draft, user=personas.bob, as_of=NOW)
    assert bobs.stage_changed == 2
    assert {m.to_stage: [e["name"] for e in m.examples] for m in bobs.moves} == {
        "mql": [],
        "nurture": ["Vera"],
    }


def test_the_impact_preview_agrees_with_the_rescore_after_sign_off(personas):
    draft, *_ = _impact_world(personas)
    impact = criteria_impact(criteria_set=draft, user=personas.mona, as_of=NOW)
    draft.status = CriteriaStatus.ACTIVE
    assert criteria_rescore(criteria_set=draft, as_of=NOW)["stage_changed"] == impact.stage_changed


def test_the_impact_is_on_the_sign_off_page_and_in_the_api(personas, client_for, api_client_for):
    draft, *_ = _impact_world(personas)
    page = client_for(personas.mona).get(f"/criteria/{draft.pk}/").content.decode()
    assert f'hx-get="/criteria/{draft.pk}/impact/"' in page
    partial = client_for(personas.mona).get(f"/criteria/{draft.pk}/impact/").content.decode()
    assert 'id="impact-stage-changed">2<' in partial and "Dan" in partial
    inline = client_for(personas.mona).get(f"/criteria/{draft.pk}/?impact=1").content.decode()
    assert 'id="impact-stage-changed">2<' in inline
    body = api_client_for(personas.sam).get(f"/api/v1/criteria/{draft.pk}/impact").json()
    assert (body["stage_changed"], body["to_sales"], body["from_sales"]) == (2, 1, 1)
    active = CriteriaSet.objects.get(status=CriteriaStatus.ACTIVE)
    assert api_client_for(personas.sam).get(f"/api/v1/criteria/{active.pk}/impact").status_code == 409


def test_records_frame_keeps_the_country_code_for_the_bulk_engine(db):
    lead_create("a@x.com", country="USA")
    assert records_frame().get_column("country").to_list() == ["US"]
    assert isinstance(records_frame(), pl.DataFrame)
