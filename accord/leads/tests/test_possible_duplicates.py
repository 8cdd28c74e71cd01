"""The possible-duplicates look-up asks only for the *other* leads, and finds what asking for every
lead found (accord.leads.matching.possible_duplicates_among)."""

from __future__ import annotations

import random

import pytest

from accord.campaigns.tests.factories import LeadFactory
from accord.leads import matching
from accord.leads.models import Account, Lead
from accord.leads.normalize import normalize_phone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("ids", "runs", "gaps"),
    [
        ([], 3, [(None, None)]),
        ([7], 3, [(None, 7), (7, None)]),
        ([3, 4, 5], 3, [(None, 3), (5, None)]),
        ([3, 4, 5, 9, 20, 21], 3, [(None, 3), (5, 9), (9, 20), (21, None)]),
        # Only the longest runs are left out: 9 (a run of one) stays inside a gap.
        ([3, 4, 5, 9, 20, 21], 2, [(None, 3), (5, 20), (21, None)]),
        # Runs of equal length: the first ones.
        ([1, 3, 5, 7], 2, [(None, 1), (1, 3), (3, None)]),
    ],
)
def test_gaps_leave_out_the_longest_runs_of_ids(ids, runs, gaps):
    assert matching._id_gaps(ids, runs=runs) == gaps


def test_no_gap_above_the_highest_id():
    assert matching._id_gaps([3, 4, 5], top=5) == [(None, 3)]
    assert matching._id_gaps([3, 4, 5], top=9) == [(None, 3), (5, None)]
    assert matching._id_gaps([3, 4, 5, 9], runs=1, top=9) == [(None, 3), (5, None)]


def _world(rng: random.Random, size: int) -> list[int]:
    """``size`` leads sharing a few phone numbers and a few names at a few accounts."""
    accounts = [Account.objects.create(name=f"Account {n}") for n in range(3)]
    ids = []
    for _ in range(size):
        phone = rng.choice(["", "", "+1 415 555 0100", "(415) 555-0101", "415.555.0102"])
        lead = LeadFactory(
            first_name=rng.choice(["Ana", "ana", "Bo", ""]),
            last_name=rng.choice(["Lee", "LEE", "Park"]),
            account=rng.choice([None, *accounts]),
            phone=phone,
            phone_key=normalize_phone(phone) if phone else "",
        )
        ids.append(lead.pk)
    return ids


def _asked_for_everyone(monkeypatch, ids: list[int]) -> list[matching.DuplicateCandidate]:
    with monkeypatch.context() as patched:
        patched.setattr(matching, "_id_gaps", lambda ids, top=None: [(None, None)])
        return matching.possible_duplicates_among(ids)


@pytest.mark.parametrize("batch", [4, 5000], ids=["small batches", "one batch"])
def test_asking_for_the_others_finds_what_asking_for_everyone_found(monkeypatch, batch):
    monkeypatch.setattr(matching, "_ID_BATCH", batch)
    rng = random.Random(2026)
    ids = _world(rng, 60)
    phoned = list(Lead.objects.exclude(phone_key="").order_by("pk").values_list("pk", flat=True))
    checks = [
        ids,  # one run
        ids[40:],  # the newest, as an import's chunk
        ids[10:20] + ids[30:35] + [ids[50]],  # runs and a stray lead
        rng.sample(ids, 12),  # scattered: more runs than are left out
        [phoned[0]],  # one lead, as a door checks it
        [phoned[-1]],
    ]
    for checked in checks:
        found = sorted(matching.possible_duplicates_among(checked), key=lambda c: (c.lead_id, c.other_id))
        expected = sorted(_asked_for_everyone(monkeypatch, checked), key=lambda c: (c.lead_id, c.other_id))
        assert found == expected, checked
        assert found, "the world shares phones and names: every check finds pairs"


def test_the_look_ups_do_not_read_the_checked_leads_themselves(monkeypatch):
    ids = _world(random.Random(7), 30)
    chunk = ids[10:]  # one run: the newest leads, as an import's chunk
    read: list[int] = []
    phoned, named = matching._leads_phoned, matching._leads_named

    def spy_phoned(keys, gaps):
        rows = phoned(keys, gaps)
        read.extend(pk for pk, _ in rows)
        return rows

    def spy_named(keys, gaps):
        for row in named(keys, gaps):
            read.append(row[0])
            yield row

    monkeypatch.setattr(matching, "_leads_phoned", spy_phoned)
    monkeypatch.setattr(matching, "_leads_named", spy_named)
    assert matching.possible_duplicates_among(chunk)
    assert read, "the older leads share phones and names with the chunk"
    assert set(read).isdisjoint(chunk)
