"""Lead pages: list with filters and counts, detail with timeline, stage change, duplicates, sources."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accord.core.events import events_for
from accord.intake.tests.test_intake import VP, criteria_make, lead_make
from accord.leads.models import DuplicateStatus, Lead, PossibleDuplicate, Source, Stage
from accord.leads.services import lead_stage_set, source_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def criteria(personas):
    return criteria_make(personas.mona, personas.sam)


@pytest.fixture
def owned(personas, criteria):
    webinar = source_create(name="Webinar")
    return {
        "bob": lead_make("vera@acme.com", owner=personas.bob, **VP),
        "carol": lead_make("cy@globex.com", owner=personas.carol, source=webinar, first_name="Cy"),
        "charlie": lead_make("xan@initech.com", owner=personas.charlie, source=webinar, first_name="Xan"),
    }


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_list_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("leads:list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_list_shows_leads_with_their_why(personas, owned, client):
    response = signed_in(client, personas.alice).get(reverse("leads:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "vera@acme.com" in html and "xan@initech.com" in html
    assert "Title contains VP +30" in html
    assert "Acme Health" in html
    assert 'class="badge badge-mql"' in html


def test_a_rep_lists_only_their_own_and_their_teams_leads(personas, owned, client):
    html = signed_in(client, personas.bob).get(reverse("leads:list")).content.decode()
    assert "vera@acme.com" in html and "cy@globex.com" in html
    assert "xan@initech.com" not in html


def test_the_list_filters_like_the_api(personas, owned, client):
    client = signed_in(client, personas.alice)
    html = client.get(reverse("leads:list"), {"source": "Webinar", "owner": "carol"}).content.decode()
    assert "cy@globex.com" in html and "xan@initech.com" not in html and "vera@acme.com" not in html
    html = client.get(reverse("leads:list"), {"stage": "mql"}).content.decode()
    assert "vera@acme.com" in html and "cy@globex.com" not in html
    html = client.get(reverse("leads:list"), {"q": "initech"}).content.decode()
    assert "xan@initech.com" in html and "vera@acme.com" not in html
    # A bad filter value is dropped, not a crash.
    assert client.get(reverse("leads:list"), {"stage": "bogus"}).status_code == 200


def test_the_list_counts_leads_per_stage(personas, owned, client):
    response = signed_in(client, personas.alice).get(reverse("leads:list"))
    counts = {s["stage"]: str(s["count"]) for s in response.context["stage_counts"]}
    assert counts == {"mql": "1", "nurture": "2"}
    assert str(response.context["total"]) == "3"


def test_an_htmx_request_gets_only_the_table(personas, owned, client):
    response = signed_in(client, personas.alice).get(
        reverse("leads:list"), {"stage": "mql"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'id="lead-table"' in html
    assert "<html" not in html


def test_the_list_pages_by_fifty(personas, criteria, client):
    for n in range(55):
        lead_make(f"p{n}@acme.com")
    client = signed_in(client, personas.alice)
    first = client.get(reverse("leads:list"))
    assert len(first.context["leads"]) == 50
    assert first.context["page"].has_next
    second = client.get(reverse("leads:list"), {"page": 2})
    assert len(second.context["leads"]) == 5
    assert not second.context["page"].has_next


def test_the_list_does_not_query_per_row(personas, criteria, client, django_assert_max_num_queries):
    sources = [source_create(name=f"Source {n}") for n in range(3)]
    reps = [personas.bob, personas.carol, personas.charlie, None]
    for n in range(40):
        lead_make(
            f"p{n}@company{n % 7}.com",
            owner=reps[n % 4],
            source=sources[n % 3],
            company=f"Company {n % 7}",
            first_name=f"P{n}",
            title="VP Ops" if n % 2 else "Analyst",
        )
    client = signed_in(client, personas.alice)
    client.get(reverse("leads:list"))  # warm the session and content types
    with django_assert_max_num_queries(12):
        response = client.get(reverse("leads:list"), {"q": "p"})
    assert len(response.context["leads"]) == 40


def test_the_detail_page_shows_fields_score_history_and_timeline(personas, owned, client):
    lead = owned["bob"]
    Lead.objects.filter(pk=lead.pk).update(custom={"crm_id": "A-7"})
    lead_stage_set(lead=lead, stage=Stage.SAL, actor=personas.bob, reason="Called, interested")
    response = signed_in(client, personas.alice).get(reverse("leads:detail", args=[lead.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "VP Operations" in html and "Acme Health" in html
    assert "crm_id" in html and "A-7" in html
    assert "fit 60 + engagement 0" in html
    assert "Criteria version v1" in html
    assert "score 60 ≥ 60: MQL" in html
    assert [s["stage"] for s in response.context["spans"]] == ["mql", "sal"]
    headlines = [item["headline"] for item in response.context["timeline"]]
    assert headlines[0] == "First came in through REST API: inquiry"
    assert headlines[1].startswith("Stage changed from MQL to SAL by")
    assert "Reason: Called, interested" in html


def test_a_rep_gets_404_for_a_lead_outside_their_team(personas, owned, client):
    client = signed_in(client, personas.bob)
    assert client.get(reverse("leads:detail", args=[owned["carol"].pk])).status_code == 200
    assert client.get(reverse("leads:detail", args=[owned["charlie"].pk])).status_code == 404
    response = client.post(
        reverse("leads:stage_set", args=[owned["charlie"].pk]), {"stage": "sal", "reason": "x"}
    )
    assert response.status_code == 404


def test_the_owner_moves_their_lead_with_a_reason(personas, owned, client):
    lead = owned["bob"]
    response = signed_in(client, personas.bob).post(
        reverse("leads:stage_set", args=[lead.pk]), {"stage": "sal", "reason": "Accepted after a call"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    event = events_for(lead).filter(type="lead.stage_changed").get()
    assert event.actor == personas.bob
    assert event.payload == {"from": "mql", "to": "sal", "reason": "Accepted after a call"}


def test_a_teammate_who_does_not_own_the_lead_may_not_move_it(personas, owned, client):
    client = signed_in(client, personas.carol)
    page = client.get(reverse("leads:detail", args=[owned["bob"].pk]))
    assert page.context["can_change_stage"] is False
    response = client.post(
        reverse("leads:stage_set", args=[owned["bob"].pk]), {"stage": "sal", "reason": "x"}
    )
    assert response.status_code == 403
    owned["bob"].refresh_from_db()
    assert owned["bob"].stage == Stage.MQL


@pytest.mark.parametrize("who", ["alice", "mona", "sam", "root"])
def test_marketing_heads_and_admins_may_move_any_lead(personas, owned, client, who):
    response = signed_in(client, getattr(personas, who)).post(
        reverse("leads:stage_set", args=[owned["charlie"].pk]),
        {"stage": "disqualified", "reason": "Competitor"},
    )
    assert response.status_code == 302
    owned["charlie"].refresh_from_db()
    assert owned["charlie"].stage == Stage.DISQUALIFIED


def test_a_stage_change_needs_a_reason(personas, owned, client):
    response = signed_in(client, personas.alice).post(
        reverse("leads:stage_set", args=[owned["bob"].pk]), {"stage": "sal", "reason": ""}
    )
    assert response.status_code == 422
    owned["bob"].refresh_from_db()
    assert owned["bob"].stage == Stage.MQL


@pytest.fixture
def pair(personas, criteria):
    left = lead_make(
        "vera@acme.com", phone="+1 555 010 0200", first_name="Vera", title="VP Care", company="Acme Health"
    )
    right = lead_make("vera.park@gmail.com", phone="+1 (555) 010-0200", first_name="Vera", last_name="Park")
    return PossibleDuplicate.objects.get(lead=left, other=right)


def test_the_duplicates_queue_lists_open_pairs(personas, pair, client):
    html = signed_in(client, personas.alice).get(reverse("leads:duplicates")).content.decode()
    assert "vera@acme.com" in html and "vera.park@gmail.com" in html
    assert "same phone number" in html


def test_reps_may_not_work_the_duplicates_queue(personas, pair, client):
    client = signed_in(client, personas.bob)
    assert client.get(reverse("leads:duplicates")).status_code == 403
    assert client.get(reverse("leads:duplicate", args=[pair.pk])).status_code == 403
    assert (
        client.post(reverse("leads:duplicate_resolve", args=[pair.pk]), {"action": "keep_left"}).status_code
        == 403
    )
    assert Lead.objects.live().count() == 2


def test_the_comparison_highlights_differences(personas, pair, client):
    response = signed_in(client, personas.sam).get(reverse("leads:duplicate", args=[pair.pk]))
    rows = {row["label"]: row for row in response.context["rows"]}
    assert rows["Email"]["differs"] is True
    assert rows["First name"]["differs"] is False
    assert rows["Title"] == {"label": "Title", "left": "VP Care", "right": "", "differs": True}
    html = response.content.decode()
    assert "Keep left, merge right" in html and "Keep right, merge left" in html and "Not a duplicate" in html


def test_keep_left_merges_right_into_left(personas, pair, client):
    response = signed_in(client, personas.alice).post(
        reverse("leads:duplicate_resolve", args=[pair.pk]), {"action": "keep_left"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:detail", args=[pair.lead_id])
    kept, merged = Lead.objects.get(pk=pair.lead_id), Lead.objects.get(pk=pair.other_id)
    assert merged.merged_into_id == kept.pk
    assert kept.last_name == "Park"  # filled in from the merged lead
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.MERGED
    timeline = (
        signed_in(client, personas.alice).get(reverse("leads:detail", args=[kept.pk])).context["timeline"]
    )
    assert any(item["headline"].startswith("Merged with lead") for item in timeline)
    assert any(item["from_merged"] for item in timeline)


def test_keep_right_merges_left_into_right(personas, pair, client):
    signed_in(client, personas.mona).post(
        reverse("leads:duplicate_resolve", args=[pair.pk]), {"action": "keep_right"}
    )
    assert Lead.objects.get(pk=pair.lead_id).merged_into_id == pair.other_id


def test_not_a_duplicate_dismisses_the_pair(personas, pair, client):
    response = signed_in(client, personas.root).post(
        reverse("leads:duplicate_resolve", args=[pair.pk]), {"action": "dismiss"}
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    assert (pair.status, pair.resolved_by) == (DuplicateStatus.DISMISSED, personas.root)
    assert Lead.objects.live().count() == 2
    assert signed_in(client, personas.root).get(reverse("leads:duplicate", args=[pair.pk])).status_code == 404


def test_the_sources_page_shows_the_form_url_and_a_snippet_with_a_hidden_honeypot(personas, client):
    source = source_create(name="Website demo form")
    html = signed_in(client, personas.bob).get(reverse("leads:sources")).content.decode()
    assert f"http://testserver/f/{source.public_key}" in html
    assert f"name=&quot;{source.honeypot_field}&quot;" in html
    assert "position:absolute;left:-10000px" in html
    assert 'id="source-form"' not in html  # reps see sources but do not create them


def test_marketing_creates_a_source(personas, client):
    response = signed_in(client, personas.alice).post(
        reverse("leads:sources"), {"name": "Partner API", "kind": "api", "success_url": ""}
    )
    assert response.status_code == 302
    assert Source.objects.get(name="Partner API").kind == "api"


def test_a_duplicate_source_name_is_refused_with_a_message(personas, client):
    source_create(name="Partner API")
    response = signed_in(client, personas.alice).post(
        reverse("leads:sources"), {"name": "partner api", "kind": "api"}
    )
    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_a_rep_may_not_create_a_source(personas, client):
    response = signed_in(client, personas.bob).post(
        reverse("leads:sources"), {"name": "Mine", "kind": "form"}
    )
    assert response.status_code == 403
    assert not Source.objects.filter(name="Mine").exists()
