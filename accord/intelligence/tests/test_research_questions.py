"""Research questions: at most two asked at a time, one-click answers with a logged call, and results
that one loud rep cannot move."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accord.intelligence import results as results_math
from accord.intelligence.models import ResearchAnswer
from accord.intelligence.selectors import question_result
from accord.intelligence.services import research_answer_record, research_question_create
from accord.sla.models import Touch

NOW = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_a_third_active_question_is_refused_with_the_two_named(personas, api_client_for):
    client = api_client_for(personas.alice)
    for text in ("First question?", "Second question?"):
        r = client.post(
            "/api/v1/research-questions",
            {"text": text, "options": ["a", "b"], "activate": True},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        assert r.json()["status"] == "active"
    r = client.post(
        "/api/v1/research-questions",
        {"text": "Third?", "options": ["a", "b"], "activate": True},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert "First question?" in r.json()["message"] and "Second question?" in r.json()["message"]
    listed = client.get("/api/v1/research-questions?status=active").json()
    assert listed["count"] == 2


def test_reps_cannot_write_questions(personas, api_client_for):
    r = api_client_for(personas.bob).post(
        "/api/v1/research-questions",
        {"text": "Mine?", "options": ["a", "b"]},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_answers_come_with_a_logged_call_through_the_touch_api(personas, question, lead_for, api_client_for):
    lead = lead_for(personas.bob)
    r = api_client_for(personas.bob).post(
        f"/api/v1/leads/{lead.pk}/touches",
        {"kind": "call", "answers": [{"question": question.pk, "option": "Yes"}]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    answer = ResearchAnswer.objects.get()
    assert (answer.rep, answer.option, answer.touch_id, answer.lead_id) == (
        personas.bob,
        "Yes",
        r.json()["id"],
        lead.pk,
    )


def test_a_refused_answer_logs_no_touch(personas, question, lead_for, api_client_for):
    lead = lead_for(personas.bob)
    client = api_client_for(personas.bob)
    r = client.post(
        f"/api/v1/leads/{lead.pk}/touches",
        {"kind": "call", "answers": [{"question": question.pk, "option": "Maybe"}]},
        content_type="application/json",
    )
    assert r.status_code == 400 and "not an answer" in r.json()["message"]
    r = client.post(
        f"/api/v1/leads/{lead.pk}/touches",
        {"kind": "email", "answers": [{"question": question.pk, "option": "Yes"}]},
        content_type="application/json",
    )
    assert r.status_code == 400 and "call or a meeting" in r.json()["message"]
    assert not Touch.objects.filter(lead=lead).exists()
    assert not ResearchAnswer.objects.exists()


def test_the_inbox_log_form_shows_the_questions_and_takes_one_click(personas, question, lead_for, client_for):
    lead = lead_for(personas.bob)
    client = client_for(personas.bob)
    page = client.get("/inbox/")
    assert "Did the customer mention Medica?" in page.content.decode()
    r = client.post(f"/inbox/leads/{lead.pk}/touch?who=me", {"kind": "meeting", f"rq-{question.pk}": "No"})
    assert r.status_code in (200, 302)
    assert ResearchAnswer.objects.get().option == "No"


def test_the_lead_page_log_form_shows_the_questions_too(personas, question, lead_for, client_for):
    lead = lead_for(personas.bob)
    client = client_for(personas.bob)
    page = client.get(f"/leads/{lead.pk}/")
    assert "Did the customer mention Medica?" in page.content.decode()
    r = client.post(reverse("sla:lead_touch", args=[lead.pk]), {"kind": "call", f"rq-{question.pk}": "Yes"})
    assert r.status_code == 302
    assert ResearchAnswer.objects.get().option == "Yes"


def test_answering_on_its_own_through_the_api(personas, question, api_client_for):
    r = api_client_for(personas.carol).post(
        f"/api/v1/research-questions/{question.pk}/answers", {"option": "No"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    r = api_client_for(personas.alice).post(
        f"/api/v1/research-questions/{question.pk}/answers", {"option": "No"}, content_type="application/json"
    )
    assert r.status_code == 403


def _answer(rep, question, option, times):
    for _ in range(times):
        research_answer_record(user=rep, question_id=question.pk, option=option)


def test_one_rep_flooding_answers_moves_the_naive_share_not_the_weighted_one_and_lights_skew(
    personas, make_rep, question, api_client_for
):
    reps = [make_rep() for _ in range(8)]
    with time_machine.travel(NOW, tick=False):
        for i, rep in enumerate(reps):
            yes = 1 if i % 2 == 0 else 2  # reps say "Yes" in 20% or 40% of their calls
            _answer(rep, question, "Yes", yes)
            _answer(rep, question, "No", 5 - yes)
    before = (
        api_client_for(personas.alice)
        .get(f"/api/v1/research-questions/{question.pk}/results")
        .json()["overall"]
    )
    yes_before = before["options"][0]
    assert before["enough_data"] and not before["skewed"]
    assert yes_before["naive_share"] == pytest.approx(0.3)
    assert yes_before["weighted_share"] == pytest.approx(0.3)
    low, high = yes_before["interval"]

    with time_machine.travel(NOW, tick=False):
        _answer(reps[0], question, "Yes", 200)  # one loud rep
    after = (
        api_client_for(personas.bob)
        .get(f"/api/v1/research-questions/{question.pk}/results")
        .json()["overall"]
    )
    yes_after = after["options"][0]
    assert yes_after["naive_share"] > 0.85  # the naive share is carried away
    assert low <= yes_after["weighted_share"] <= high  # the weighted one stays within its interval
    assert yes_after["weighted_share"] - yes_before["weighted_share"] < 0.1
    assert after["skewed"] and after["top_rep_share"] > 0.8
    assert (after["answers"], after["reps"]) == (240, 8)


def test_results_are_withheld_below_the_minimum_sample(personas, make_rep, question):
    _answer(make_rep(), question, "Yes", 30)
    result = question_result(question)
    assert not result.enough_data
    assert result.options[0].weighted_share is None and result.options[0].interval is None
    assert result.answers == 30


def test_the_interval_widens_when_reps_disagree():
    agree = results_math.compute(
        {i: {"Yes": 1, "No": 1} for i in range(10)}, ["Yes", "No"], min_reps=1, min_answers=1
    )
    disagree = results_math.compute(
        {i: ({"Yes": 2} if i % 2 else {"No": 2}) for i in range(10)}, ["Yes", "No"], min_reps=1, min_answers=1
    )
    width = lambda r: r.options[0].interval[1] - r.options[0].interval[0]  # noqa: E731
    assert agree.options[0].weighted_share == disagree.options[0].weighted_share == 0.5
    assert width(disagree) >= width(agree) > 0


def test_results_by_month_in_the_api(personas, make_rep, question, api_client_for):
    with time_machine.travel(NOW, tick=False):
        for rep in [make_rep() for _ in range(5)]:
            _answer(rep, question, "Yes", 4)
    body = api_client_for(personas.eve).get(f"/api/v1/research-questions/{question.pk}/results").json()
    assert [m["month"][:7] for m in body["by_month"]] == ["2026-05"]
    assert body["by_month"][0]["options"][0]["weighted_share"] == 1.0


def test_closing_stops_answers(personas, question):
    from accord.core.errors import Conflict
    from accord.intelligence.services import research_question_close

    research_question_close(user=personas.alice, question=question)
    with pytest.raises(Conflict):
        research_answer_record(user=personas.bob, question_id=question.pk, option="Yes")
    assert (
        research_question_create(user=personas.mona, text="Next?", options=["a", "b"], activate=True).status
        == "active"
    )
