"""Pulse surveys: scheduled, reminded, shared back; and anonymous answers that no page, API call, export
or admin screen links to the rep who gave them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.db import models

from accord.core.models import Event
from accord.intelligence.models import (
    AnonymousSurveyResponse,
    PulseSurvey,
    SurveyParticipation,
    SurveyResponse,
)
from accord.intelligence.services import survey_create, surveys_advance
from accord.notifications.models import Notification

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db

SECRET_TEXTS = {
    "bob": "pricing pages confuse buyers zebra",
    "carol": "webinar leads are cold quokka",
    "charlie": "battle card is outdated narwhal",
}


@pytest.fixture
def survey(personas):
    with time_machine.travel(NOW, tick=False):
        return survey_create(
            user=personas.alice,
            title="Q2 pulse",
            opens_at=NOW,
            closes_at=NOW + timedelta(days=7),
            anonymous=True,
        )


def _respond(client, survey, score, text):
    return client.post(
        f"/api/v1/surveys/{survey.pk}/responses",
        {"answers": {"marketing_score": score, "challenges": text, "tools": ["Case studies"]}},
        content_type="application/json",
    )


@pytest.fixture
def answered(personas, survey, api_client_for):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        for name, score in (("bob", 2), ("carol", 4), ("charlie", 5)):
            r = _respond(api_client_for(getattr(personas, name)), survey, score, SECRET_TEXTS[name])
            assert r.status_code == 201, r.content
            assert set(r.json()) == {"survey", "anonymous", "message"}
    return survey


def test_the_anonymous_tables_hold_nothing_that_leads_to_a_person():
    for model in (AnonymousSurveyResponse, SurveyParticipation):
        for field in model._meta.get_fields():
            assert not isinstance(field, models.DateTimeField | models.DateField), (
                f"{model.__name__}.{field.name}"
            )
            assert not isinstance(field, models.AutoField | models.BigAutoField), "a counter orders the rows"
    user_links = [
        f.name
        for f in AnonymousSurveyResponse._meta.get_fields()
        if getattr(f, "related_model", None) is not None and f.related_model._meta.label == "people.User"
    ]
    assert user_links == []
    participation_fields = {f.name for f in SurveyParticipation._meta.get_fields()}
    assert participation_fields == {"id", "survey", "user"}  # nothing to join on but the survey


def test_answers_are_stored_without_the_rep_and_no_event_names_them(personas, answered):
    assert AnonymousSurveyResponse.objects.filter(survey=answered).count() == 3
    assert not SurveyResponse.objects.exists()
    for rep in (personas.bob, personas.carol, personas.charlie):
        assert not Event.objects.filter(actor=rep).exists()


def test_closing_rewrites_the_rows_in_a_new_order_with_new_keys(personas, answered):
    before_answers = set(AnonymousSurveyResponse.objects.values_list("id", flat=True))
    before_participation = set(SurveyParticipation.objects.values_list("id", flat=True))
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        surveys_advance()
    answered.refresh_from_db()
    assert answered.status == "closed"
    assert not before_answers & set(AnonymousSurveyResponse.objects.values_list("id", flat=True))
    assert not before_participation & set(SurveyParticipation.objects.values_list("id", flat=True))
    assert AnonymousSurveyResponse.objects.count() == SurveyParticipation.objects.count() == 3


def test_no_api_call_or_page_names_who_gave_an_answer(personas, answered, api_client_for, client_for):
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        surveys_advance()
    for viewer in (personas.root, personas.mona, personas.eve, personas.bob):
        api = api_client_for(viewer)
        for url in ("/api/v1/surveys", f"/api/v1/surveys/{answered.pk}/results"):
            body = api.get(url).content.decode()
            for name in ("bob", "carol", "charlie"):
                assert f'"{name}"' not in body
        results = api.get(f"/api/v1/surveys/{answered.pk}/results").json()
        texts = {t for item in results["items"] for t in item["texts"]}
        assert texts == set(SECRET_TEXTS.values())  # shared back, but as a set with no names
        page = client_for(viewer).get(f"/intelligence/surveys/{answered.pk}/").content.decode()
        assert "zebra" in page
        for name in ("bob", "carol", "charlie"):
            if name != viewer.username:
                assert name not in page.lower()


def test_the_admin_has_no_screen_for_anonymous_answers_or_who_answered(personas, answered, client_for):
    assert AnonymousSurveyResponse not in admin.site._registry
    assert SurveyParticipation not in admin.site._registry
    client = client_for(personas.root)
    index = client.get("/admin/").content.decode()
    assert "anonymoussurveyresponse" not in index and "surveyparticipation" not in index
    survey_page = client.get(f"/admin/intelligence/pulsesurvey/{answered.pk}/change/").content.decode()
    assert "zebra" not in survey_page and "quokka" not in survey_page


def test_results_of_an_anonymous_survey_wait_for_three_answers(personas, survey, api_client_for):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        _respond(api_client_for(personas.bob), survey, 3, "only one answer")
    results = api_client_for(personas.mona).get(f"/api/v1/surveys/{survey.pk}/results").json()
    assert results["withheld"] and results["items"] == [] and results["responses"] == 1


def test_a_rep_answers_once_and_reps_see_results_only_after_the_close(personas, answered, api_client_for):
    again = _respond(api_client_for(personas.bob), answered, 3, "again")
    assert again.status_code == 409
    assert api_client_for(personas.bob).get(f"/api/v1/surveys/{answered.pk}/results").status_code == 403
    assert api_client_for(personas.mona).get(f"/api/v1/surveys/{answered.pk}/results").status_code == 200


def test_reps_are_told_when_it_opens_and_only_those_who_have_not_answered_are_reminded(
    personas, survey, api_client_for
):
    assert Notification.objects.filter(user=personas.bob, subject__startswith="Pulse survey").exists()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        _respond(api_client_for(personas.bob), survey, 4, "fine")
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        assert surveys_advance()["reminded"] == 2
        assert surveys_advance()["reminded"] == 0  # once
    reminded = set(
        Notification.objects.filter(subject__startswith="Reminder").values_list("user__username", flat=True)
    )
    assert reminded == {"carol", "charlie"}


def test_closing_schedules_next_quarter_and_named_surveys_keep_the_name(personas, api_client_for):
    with time_machine.travel(NOW, tick=False):
        named = survey_create(
            user=personas.alice,
            title="Named pulse",
            opens_at=NOW,
            closes_at=NOW + timedelta(days=3),
            anonymous=False,
        )
        _respond(api_client_for(personas.bob), named, 4, "ok")
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        surveys_advance()
    assert SurveyResponse.objects.get().respondent == personas.bob
    assert PulseSurvey.objects.filter(title="Named pulse", status="scheduled").count() == 1


def test_survey_api_validates_items_and_roles(personas, api_client_for):
    body = {"title": "X", "opens_at": "2026-05-01T00:00:00Z", "closes_at": "2026-04-01T00:00:00Z"}
    assert (
        api_client_for(personas.alice)
        .post("/api/v1/surveys", body, content_type="application/json")
        .status_code
        == 400
    )
    body["closes_at"] = "2026-06-01T00:00:00Z"
    assert (
        api_client_for(personas.bob)
        .post("/api/v1/surveys", body, content_type="application/json")
        .status_code
        == 403
    )
    body["items"] = [{"key": "x", "kind": "dance", "label": "?"}]
    r = api_client_for(personas.alice).post("/api/v1/surveys", body, content_type="application/json")
    assert r.status_code == 400 and "dance" in r.json()["message"]


def test_a_survey_sent_with_any_utc_offset_is_kept_as_its_instant(personas, api_client_for):
    # +23:30 is a valid offset for Python and not for PostgreSQL: the moments are stored in UTC.
    body = {
        "title": "Far east",
        "opens_at": "7599-11-14T16:21:51+23:30",
        "closes_at": "7599-11-20T00:00:00+23:30",
    }
    r = api_client_for(personas.alice).post("/api/v1/surveys", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert PulseSurvey.objects.get(title="Far east").opens_at == datetime(
        7599, 11, 13, 16, 51, 51, tzinfo=UTC
    )
    body["team"] = 2**63
    assert (
        api_client_for(personas.alice)
        .post("/api/v1/surveys", body, content_type="application/json")
        .status_code
        == 422
    )
