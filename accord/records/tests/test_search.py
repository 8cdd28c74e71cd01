"""The top bar's search: accounts, leads, deals and campaigns, ranked, as you type, within access."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from accord.campaigns.models import Campaign
from accord.records.selectors import global_search
from accord.records.tests.factories import account_make, deal_make, person_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    acme = account_make("Acme Health", owner=personas.bob, industry="Healthcare")
    globex = account_make("Globex Finance", owner=personas.charlie)
    vera = person_make(
        "vera@acme.com", first_name="Vera", last_name="Parker", owner=personas.bob, account=acme
    )
    xan = person_make(
        "xan@globex.com", first_name="Xan", last_name="Parkinson", owner=personas.charlie, account=globex
    )
    deal_make("Acme renewal", account=acme, contact=vera, owner=personas.bob)
    deal_make("Globex expansion", account=globex, contact=xan, owner=personas.charlie)
    Campaign.objects.create(name="Acme customer day")
    return {"acme": acme, "globex": globex}


def kinds_and_titles(results):
    return [(r.kind, r.title) for r in results]


def test_part_of_a_name_finds_accounts_deals_and_campaigns(personas, world):
    found = kinds_and_titles(global_search(user=personas.alice, term="acm"))
    assert ("Account", "Acme Health") in found
    assert ("Deal", "Acme renewal") in found
    assert ("Campaign", "Acme customer day") in found
    assert ("Account", "Globex Finance") not in found


def test_leads_are_found_by_the_start_of_their_name_or_email(personas, world):
    found = kinds_and_titles(global_search(user=personas.alice, term="park"))
    assert ("Lead", "Vera Parker") in found and ("Lead", "Xan Parkinson") in found
    assert kinds_and_titles(global_search(user=personas.alice, term="vera park")) == [("Lead", "Vera Parker")]
    assert ("Lead", "Xan Parkinson") in kinds_and_titles(global_search(user=personas.alice, term="xan@"))


def test_search_shows_only_what_the_person_may_see(personas, world):
    found = kinds_and_titles(global_search(user=personas.bob, term="globex"))
    assert found == []
    found = kinds_and_titles(global_search(user=personas.bob, term="park"))
    assert found == [("Lead", "Vera Parker")]


def test_text_that_is_not_words_finds_nothing_and_fails_nothing(personas, world):
    assert global_search(user=personas.alice, term='"*) OR (') == []
    assert global_search(user=personas.alice, term="a") == []


def test_as_you_type_answers_a_fragment_and_a_full_page_otherwise(personas, world, client):
    client.force_login(personas.alice)
    fragment = client.get(reverse("records:search"), {"q": "acm"}, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and "Acme Health" in html and f"/accounts/{world['acme'].pk}/" in html
    page = client.get(reverse("records:search"), {"q": "acm"})
    assert "<html" in page.content.decode() and "Acme renewal" in page.content.decode()


def test_search_asks_anonymous_visitors_to_sign_in(client):
    assert client.get(reverse("records:search"), {"q": "acme"}).status_code == 302


def test_accounts_written_in_bulk_are_found_after_a_reindex(personas):
    from django.core.management import call_command

    from accord.leads.models import Account

    Account.objects.bulk_create([Account(name="Umbrella Labs", name_key="umbrella labs")])  # no save signal
    assert global_search(user=personas.alice, term="umbrella") == []
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    assert "1 accounts" in out.getvalue()
    assert kinds_and_titles(global_search(user=personas.alice, term="umbrella")) == [
        ("Account", "Umbrella Labs")
    ]


def test_accounts_an_import_creates_are_found_once_it_finishes(personas, monkeypatch):
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accord.intake.importing import jobs
    from accord.leads.models import ImportJob

    job = ImportJob(original_name="people.csv", created_by=personas.alice)
    job.file.save(
        "people.csv", ContentFile(b"email,first_name,company\nzed@zenithlabs.example,Zed,Zenith Labs\n")
    )
    monkeypatch.setattr(jobs, "ANALYZE_AFTER_ROWS", 1)
    with CaptureQueriesContext(connection) as queries:
        assert jobs.import_job_run(job_id=job.pk).status == "done"
    assert kinds_and_titles(global_search(user=personas.alice, term="zenith")) == [("Account", "Zenith Labs")]
    assert any(q["sql"].startswith("ANALYZE") for q in queries.captured_queries)
