"""The committee-review figure on the collaboration panel equals a count over the raw reviews and
comments, for every team and for one team (which counts every review and says so), and the panel's
trace links each review to its material's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accord.core.collaboration import PanelScope, collaboration_figure
from accord.enablement.models import CommitteeReview, MaterialComment

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)
Q2 = (datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC))


def scope(team_id=None) -> PanelScope:
    return PanelScope(start=Q2[0], end=Q2[1], team_id=team_id, label="Q2 FY2027")


@pytest.fixture
def reviews(enable, make_material):
    """One review through the services (commented in time) and others written directly around it."""
    from accord.enablement.services import material_comment_add, material_submit_review

    p = enable
    with time_machine.travel(datetime(2027, 4, 8, 10, 0, tzinfo=UTC), tick=False):  # a Thursday
        first = make_material(title="Claims battlecard")
        started = material_submit_review(material=first, user=p.alice)
    assert started.deadline == datetime(2027, 4, 12, 10, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2027, 4, 9, 11, 0, tzinfo=UTC), tick=False):
        material_comment_add(material=first, user=p.bob, body="Lead with the savings", page=1)

    def review(title, deadline, comments=(), *, customer_facing=True):
        with time_machine.travel(deadline - timedelta(days=2), tick=False):
            material = make_material(title=title, customer_facing=customer_facing)
        made = CommitteeReview.objects.create(
            material=material,
            version=material.current_version,
            committee=p.committee,
            submitted_by=p.alice,
            submitted_at=deadline - timedelta(days=2),
            deadline=deadline,
        )
        made.reviewers.set([p.bob])
        for author, when in comments:
            with time_machine.travel(when, tick=False):
                MaterialComment.objects.create(
                    material=material,
                    version=material.current_version,
                    review=made,
                    author=author,
                    body="Noted",
                    quote="the claim",
                    within_window=when <= deadline,
                )
        return made

    d = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    return [
        started.review,
        review("No comments", d(2027, 4, 20, 15)),
        review(
            "Late committee, early marketing",
            d(2027, 5, 3, 15),
            [(p.bob, d(2027, 5, 4, 9)), (p.alice, d(2027, 5, 2, 9))],
        ),
        review("Still open", d(2027, 5, 21, 15)),  # deadline ahead, nothing yet: not counted
        review("Open but commented", d(2027, 5, 22, 15), [(p.bob, d(2027, 5, 19, 9))]),
        review("Last quarter", d(2027, 3, 30, 15), [(p.bob, d(2027, 3, 29, 9))]),
        review("Internal", d(2027, 4, 15, 15), [(p.bob, d(2027, 4, 14, 9))], customer_facing=False),
    ]


def expected(now: datetime) -> tuple[float, int]:
    counted = done = 0
    for r in CommitteeReview.objects.select_related("material"):
        if not (r.material.customer_facing and Q2[0] <= r.deadline < Q2[1]):
            continue
        members = set(r.reviewers.values_list("pk", flat=True))
        in_time = any(
            c.author_id in members and c.created_at <= r.deadline
            for c in MaterialComment.objects.filter(review=r)
        )
        if in_time or r.deadline <= now:
            counted += 1
            done += in_time
    return done / counted, counted


def test_committee_reviews_done_equals_a_count_over_the_raw_records(enable, reviews):
    figure = collaboration_figure("committee_reviews_done")
    with time_machine.travel(NOW, tick=False):
        everyone = figure.compute(scope())
        health = figure.compute(scope(enable.health.pk))
    assert (everyone.value, everyone.sample) == pytest.approx(expected(NOW))
    assert (everyone.value, everyone.sample) == (0.5, 4)  # by hand: the first and "Open but commented"
    assert everyone.note == ""
    # The committee serves every team: a team's view counts the same reviews and says so.
    assert (health.value, health.sample) == (everyone.value, everyone.sample)
    assert "every team" in health.note
    with time_machine.travel(datetime(2027, 5, 22, 16, tzinfo=UTC), tick=False):
        later = figure.compute(scope())
        assert (later.value, later.sample) == pytest.approx(expected(datetime(2027, 5, 22, 16, tzinfo=UTC)))
    assert (later.value, later.sample) == (0.4, 5)  # "Still open" passed its deadline without comments


def test_the_panel_shows_committee_reviews_and_links_them_to_their_materials(enable, reviews, client_for):
    with time_machine.travel(NOW, tick=False):
        client = client_for(enable.mona)
        page = client.get("/intelligence/collaboration/").content.decode()
        trace = client.get("/intelligence/collaboration/committee_reviews_done/").content.decode()
    row = re.search(r'<tr data-figure="committee_reviews_done">.*?</tr>', page, re.S).group(0)
    assert "Committee reviews done in the window" in row and "50%" in row and "4 records" in row
    assert "100%" in row  # the quarter before: "Last quarter", commented in time
    for counted in (reviews[0], reviews[1], reviews[2], reviews[4]):
        assert f'href="/enablement/materials/{counted.material_id}/"' in trace
    for left_out in (reviews[3], reviews[5], reviews[6]):
        assert f"/enablement/materials/{left_out.material_id}/" not in trace
