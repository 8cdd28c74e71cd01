"""The lead and account lists: columns, sorts, filters on any field, saved views, capped counts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accord.core.listing import ListQueryError, capped_count, page_of
from accord.core.models import SavedView
from accord.leads.listing import LEAD_LIST
from accord.leads.models import Lead, Stage
from accord.records.tests.factories import account_make, person_make

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(personas):
    with time_machine.travel(NOW, tick=False):
        acme = account_make("Acme Health")
        return {
            "vera": person_make(
                "vera@acme.com",
                first_name="Vera",
                last_name="Park",
                owner=personas.bob,
                score=80,
                account=acme,
                company="Acme Health",
                custom={"crm_id": "A-7"},
                stage_changed_at=NOW - dt.timedelta(days=5),
            ),
            "cy": person_make(
                "cy@globex.com",
                first_name="Cy",
                last_name="Adams",
                owner=personas.carol,
                score=40,
                stage=Stage.NURTURE,
                stage_changed_at=NOW,
            ),
            "xan": person_make(
                "xan@initech.com",
                first_name="Xan",
                last_name="Zed",
                owner=personas.charlie,
                score=60,
                stage_changed_at=NOW - dt.timedelta(hours=1),
            ),
        }


def emails(response) -> list[str]:
    return [lead.email for lead in response.context["leads"]]


def test_a_column_sorts_both_ways(personas, people, client):
    client.force_login(personas.alice)
    assert emails(client.get(reverse("leads:list"), {"sort": "score"})) == [
        "cy@globex.com",
        "xan@initech.com",
        "vera@acme.com",
    ]
    assert emails(client.get(reverse("leads:list"), {"sort": "-score"})) == [
        "vera@acme.com",
        "xan@initech.com",
        "cy@globex.com",
    ]
    assert emails(client.get(reverse("leads:list"), {"sort": "name"}))[0] == "cy@globex.com"


def test_a_column_that_cannot_sort_is_refused_in_words(personas, people, client):
    client.force_login(personas.alice)
    response = client.get(reverse("leads:list"), {"sort": "why"})
    assert response.status_code == 200
    assert "cannot be sorted by &#x27;why&#x27;" in response.content.decode()


def test_filters_reach_any_field_and_custom_fields(personas, people, client):
    client.force_login(personas.alice)
    by_custom = client.get(reverse("leads:list"), {"ff": "custom", "fc": "crm_id", "fo": "is", "fv": "a-7"})
    assert emails(by_custom) == ["vera@acme.com"]
    by_account = client.get(reverse("leads:list"), {"ff": "account", "fo": "contains", "fv": "acme"})
    assert emails(by_account) == ["vera@acme.com"]
    by_score = client.get(reverse("leads:list"), {"ff": "score", "fo": "gte", "fv": "60"})
    assert sorted(emails(by_score)) == ["vera@acme.com", "xan@initech.com"]


def test_a_bad_filter_is_explained_and_the_rest_still_applies(personas, people, client):
    client.force_login(personas.alice)
    response = client.get(
        reverse("leads:list"), {"ff": ["score", "stage"], "fo": ["gte", "is"], "fv": ["lots", "mql"]}
    )
    html = response.content.decode()
    assert "Score: &#x27;lots&#x27; is not a number." in html
    assert sorted(emails(response)) == ["vera@acme.com", "xan@initech.com"]


def test_my_mqls_older_than_two_days_means_whoever_opens_the_view(personas, people, client):
    query = {
        "ff": ["owner", "stage", "stage_since"],
        "fo": ["is", "is", "older_than_days"],
        "fv": ["me", "mql", "2"],
    }
    with time_machine.travel(NOW, tick=False):
        client.force_login(personas.bob)
        assert emails(client.get(reverse("leads:list"), query)) == ["vera@acme.com"]
        client.force_login(personas.charlie)  # Xan is an MQL of an hour
        assert emails(client.get(reverse("leads:list"), query)) == []


def test_a_rep_filters_only_within_what_they_see(personas, people, client):
    client.force_login(personas.bob)
    response = client.get(reverse("leads:list"), {"ff": "email", "fo": "contains", "fv": "initech"})
    assert emails(response) == []


def test_a_saved_view_reopens_with_its_filters_sort_and_columns(personas, people, client):
    client.force_login(personas.alice)
    response = client.post(
        reverse("records:view_save"),
        {
            "list_name": "leads",
            "name": "Top scores",
            "query": "sort=-score&cols=name,score&ff=score&fo=gte&fv=50&page=3",
        },
    )
    view = SavedView.objects.get(name="Top scores")
    assert view.query == "cols=name%2Cscore&sort=-score&ff=score&fo=gte&fv=50"
    assert response["Location"] == f"/leads/?{view.query}&view={view.pk}"
    reopened = client.get(response["Location"])
    assert emails(reopened) == ["vera@acme.com", "xan@initech.com"]
    assert [c.key for c in reopened.context["columns"]] == ["name", "score"]
    assert "chip-active" in reopened.content.decode()


def test_a_personal_view_is_its_owners_and_a_shared_one_everyones(personas, people, client):
    SavedView.objects.create(owner=personas.alice, list_name="leads", name="Mine only", query="stage=mql")
    SavedView.objects.create(
        owner=personas.alice, list_name="leads", name="For all", query="stage=mql", shared=True
    )
    client.force_login(personas.bob)
    names = [v.name for v in client.get(reverse("leads:list")).context["saved_views"]]
    assert names == ["For all"]


def test_only_the_owner_deletes_a_view(personas, people, client):
    shared = SavedView.objects.create(owner=personas.alice, list_name="leads", name="All", shared=True)
    private = SavedView.objects.create(owner=personas.alice, list_name="leads", name="Mine")
    client.force_login(personas.bob)
    assert client.post(reverse("records:view_delete", args=[shared.pk])).status_code == 403
    assert client.post(reverse("records:view_delete", args=[private.pk])).status_code == 404
    client.force_login(personas.alice)
    assert client.post(reverse("records:view_delete", args=[private.pk])).status_code == 302
    assert not SavedView.objects.filter(pk=private.pk).exists()


def test_a_view_with_a_filter_the_list_lacks_is_not_saved(personas, client):
    client.force_login(personas.alice)
    client.post(
        reverse("records:view_save"),
        {"list_name": "leads", "name": "Odd", "query": "ff=shoe_size&fo=is&fv=9"},
    )
    assert not SavedView.objects.exists()


def test_counts_stop_at_the_cap_and_say_so(personas, people):
    counted = capped_count(Lead.objects.all(), cap=2)
    assert (counted.n, counted.more, str(counted)) == (2, True, "2+")
    assert str(capped_count(Lead.objects.all(), cap=5)) == "3"


def test_pages_stop_at_the_deepest_offset(personas, people, monkeypatch):
    monkeypatch.setattr("accord.core.listing.MAX_OFFSET", 2)
    first = page_of(Lead.objects.order_by("pk"), number=1, size=1)
    assert first.has_next and not first.capped
    deepest = page_of(Lead.objects.order_by("pk"), number=99, size=1)
    assert deepest.number == 3 and deepest.capped is False and not deepest.has_next


def test_the_list_definition_refuses_what_it_does_not_offer():
    with pytest.raises(ListQueryError, match="cannot be filtered on 'shoe_size'"):
        LEAD_LIST.parse_texts(["shoe_size:is:9"])
    with pytest.raises(ListQueryError, match="cannot be filtered with 'gte'"):
        LEAD_LIST.parse_texts(["email:gte:9"])
    with pytest.raises(ListQueryError, match="whole number of days"):
        LEAD_LIST.parse_texts(["received:older_than_days:soon"])
    assert LEAD_LIST.parse_texts(["custom.crm_id:is:A:7"]).conditions[0].value == "A:7"


def test_the_list_answers_in_the_same_number_of_queries_for_more_rows(
    personas, people, client, django_assert_num_queries
):
    client.force_login(personas.alice)
    client.get(reverse("leads:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("leads:list"), {"sort": "-score"})
    for n in range(30):
        person_make(f"p{n}@example.com", owner=personas.bob, account=people["vera"].account)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("leads:list"), {"sort": "-score"})
    assert len(many) == len(few)


def test_the_api_filters_and_sorts_with_the_same_definition(personas, people, api_client_for):
    client = api_client_for(personas.alice)
    answer = client.get(
        "/api/v1/leads", {"filter": ["score:gte:50", "custom.crm_id:not_empty"], "sort": "-score"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [r["email"] for r in body["results"]] == ["vera@acme.com"]
    assert body["count"] == 1 and body["count_capped"] is False
    refused = client.get("/api/v1/leads", {"filter": "shoe_size:is:9"})
    assert refused.status_code == 422
    assert "cannot be filtered on 'shoe_size'" in refused.json()["message"]


def test_the_account_list_sorts_filters_and_shows_only_visible_accounts(personas, people, client):
    account_make("Globex", industry="Finance", owner=personas.charlie)
    account_make("Initech", industry="Software", owner=personas.bob)
    client.force_login(personas.alice)
    names = [
        r["account"].name for r in client.get(reverse("records:accounts"), {"sort": "-name"}).context["rows"]
    ]
    assert names == ["Initech", "Globex", "Acme Health"]
    filtered = client.get(reverse("records:accounts"), {"ff": "industry", "fo": "is", "fv": "finance"})
    assert [r["account"].name for r in filtered.context["rows"]] == ["Globex"]
    client.force_login(personas.bob)  # his own, and Acme Health through Vera's lead
    names = [r["account"].name for r in client.get(reverse("records:accounts")).context["rows"]]
    assert names == ["Acme Health", "Initech"]
    stages = [r["stage_label"] for r in client.get(reverse("records:accounts")).context["rows"]]
    assert stages == ["MQL", ""]


def test_the_deal_list_sorts_filters_and_keeps_to_ones_own_deals(personas, people, client):
    from decimal import Decimal

    from accord.records.tests.factories import deal_make

    acme = people["vera"].account
    deal_make("Small", account=acme, contact=people["vera"], owner=personas.bob, amount=Decimal("10"))
    deal_make("Large", account=acme, contact=people["vera"], owner=personas.bob, amount=Decimal("900"))
    deal_make("Carol's", account=acme, contact=people["cy"], owner=personas.carol, amount=Decimal("50"))
    client.force_login(personas.alice)
    names = [d.name for d in client.get(reverse("deals:list"), {"sort": "-amount"}).context["deals"]]
    assert names == ["Large", "Carol's", "Small"]
    filtered = client.get(reverse("deals:list"), {"ff": "amount", "fo": "gte", "fv": "50"})
    assert sorted(d.name for d in filtered.context["deals"]) == ["Carol's", "Large"]
    client.force_login(personas.bob)  # a rep does not see a teammate's deals
    assert sorted(d.name for d in client.get(reverse("deals:list")).context["deals"]) == ["Large", "Small"]
    response = client.post(
        reverse("records:view_save"), {"list_name": "deals", "name": "Big ones", "query": "sort=-amount"}
    )
    assert response["Location"].startswith("/deals/?sort=-amount&view=")
