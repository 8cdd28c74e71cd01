"""The duplicates queue: most similar first, a page at a time by keyset, a bounded count, pairs naming a
merged-away or trashed lead left out, and the same queries whatever the size of the tables."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.campaigns.tests.factories import LeadFactory
from accord.leads import selectors
from accord.leads.models import PossibleDuplicate
from accord.leads.selectors import duplicate_queue
from accord.privacy.services import lead_delete


def _pairs(n, *, start=0):
    made = []
    for i in range(start, start + n):
        a = LeadFactory(email=f"a{i}@x.example")
        b = LeadFactory(email=f"b{i}@x.example")
        made.append(
            PossibleDuplicate.objects.create(lead=a, other=b, reason="same phone", similarity=60 + i % 40)
        )
    return made


def test_pages_follow_each_other_most_similar_first_without_gaps_or_repeats(personas, monkeypatch):
    monkeypatch.setattr(selectors, "DUPLICATES_PAGE_SIZE", 7)
    made = _pairs(20)
    seen, after = [], ""
    while True:
        page = duplicate_queue(user=personas.alice, after=after)
        seen += page.pairs
        if not page.next_after:
            break
        after = page.next_after
    assert [p.pk for p in seen] == [p.pk for p in sorted(made, key=lambda p: (-p.similarity, -p.pk))]
    assert duplicate_queue(user=personas.alice).open_count == 20


def test_pairs_naming_a_merged_or_trashed_lead_are_left_out(personas):
    keep, merged, trashed = _pairs(3)
    merged.other.merged_into = keep.lead
    merged.other.save()
    lead_delete(lead=trashed.lead, actor=personas.alice, reason="test")
    page = duplicate_queue(user=personas.alice)
    assert [p.pk for p in page.pairs] == [keep.pk] and page.open_count == 1


def test_the_count_stops_at_its_cap(personas, monkeypatch):
    monkeypatch.setattr(selectors, "DUPLICATES_COUNT_CAP", 4)
    _pairs(6)
    page = duplicate_queue(user=personas.alice)
    assert page.count_capped and page.count_shown == 4


@pytest.mark.parametrize("after", ["", "nonsense", "70-x"])
def test_a_bad_cursor_starts_from_the_top(personas, after):
    _pairs(2)
    assert len(duplicate_queue(user=personas.alice, after=after).pairs) == 2


def test_the_page_runs_the_same_queries_whatever_the_number_of_pairs(personas, client_for):
    client = client_for(personas.alice)
    _pairs(3)
    client.get("/leads/duplicates/")
    with CaptureQueriesContext(connection) as few:
        client.get("/leads/duplicates/")
    _pairs(60, start=3)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/leads/duplicates/").content.decode()
    assert len(many) == len(few)
    assert "63 open" in html and 'id="duplicates-next"' in html
    second = client.get("/leads/duplicates/?" + html.split('href="?', 1)[1].split('"', 1)[0]).content.decode()
    assert "Most similar" in second and second.count("Compare</a>") == 13
