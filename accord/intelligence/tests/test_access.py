"""Intelligence's records in the one access layer: ``restrict`` knows every intelligence model, and the
rules per record (who sees, who acts) are answered by ``accord.people.access`` like every other record's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps

from accord.core.errors import AccessDenied, NotFound
from accord.intelligence import services
from accord.intelligence.models import (
    AnonymousSurveyResponse,
    Corroboration,
    FieldReport,
    PulseSurvey,
    ResearchAnswer,
    ResearchQuestion,
    RideAlong,
    SurveyParticipation,
    SurveyResponse,
)
from accord.people import access

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
EVERYONE = ("alice", "mona", "bob", "carol", "mike", "fiona", "sam", "charlie", "eve", "root")


def _who(personas, queryset_for, record) -> set[str]:
    return {name for name in EVERYONE if queryset_for(getattr(personas, name)).filter(pk=record.pk).exists()}


def _restricted(model, action):
    return lambda u: access.restrict(model.objects.all(), u, action)


def test_restrict_knows_every_intelligence_model(personas):
    for model in apps.get_app_config("intelligence").get_models():
        assert model._meta.label_lower in access.POLICIES, model._meta.label
        assert access.restrict(model.objects.all(), personas.root, "view") is not None
        assert access.restrict(model.objects.all(), personas.root, "act") is not None


def test_research_questions_are_read_by_everyone_written_by_marketing_answered_by_the_sales_floor(personas):
    with time_machine.travel(NOW, tick=False):
        question = services.research_question_create(
            user=personas.alice, text="Medica mentioned?", options=["Yes", "No"], activate=True
        )
        assert _who(personas, access.research_questions_visible_to, question) == set(EVERYONE)
        assert _who(personas, _restricted(ResearchQuestion, "act"), question) == {"alice", "mona", "root"}
        assert _who(personas, _restricted(ResearchQuestion, "answer"), question) == {
            "bob", "carol", "mike", "fiona", "sam", "charlie"
        }  # fmt: skip
        with pytest.raises(AccessDenied, match="start or stop asking"):
            services.research_question_close(user=personas.sam, question=question)
        question.refresh_from_db()
        assert question.status == "active"
        services.research_answer_record(user=personas.bob, question_id=question.pk, option="Yes")
    answer = ResearchAnswer.objects.get()
    # Nobody reads who answered what: a rep their own answer, nobody else the row (results are aggregates).
    assert _who(personas, _restricted(ResearchAnswer, "view"), answer) == {"bob"}
    assert not _who(personas, _restricted(ResearchAnswer, "act"), answer)


def test_a_team_survey_is_seen_by_its_team_and_the_result_readers_and_answered_by_its_reps(personas):
    with time_machine.travel(NOW, tick=False):
        survey = services.survey_create(
            user=personas.alice,
            title="Health pulse",
            opens_at=NOW,
            closes_at=NOW + timedelta(days=3),
            team=personas.health,
            anonymous=False,
        )
        readers = {"alice", "mona", "sam", "eve", "root", "bob", "carol", "mike"}
        assert _who(personas, _restricted(PulseSurvey, "view"), survey) == readers
        assert _who(personas, _restricted(PulseSurvey, "respond"), survey) == {"bob", "carol"}
        assert _who(personas, _restricted(PulseSurvey, "close"), survey) == {"alice", "mona", "root"}
        assert {n for n in EVERYONE if access.may_read_survey_results(getattr(personas, n), survey)} == {
            "alice", "mona", "sam", "eve", "root"
        }  # fmt: skip
        with pytest.raises(NotFound):
            services.survey_respond(user=personas.charlie, survey=survey, answers={"marketing_score": 4})
        with pytest.raises(AccessDenied, match="close pulse surveys"):
            services.survey_close(survey=survey, user=personas.mike)
        services.survey_respond(user=personas.bob, survey=survey, answers={"marketing_score": 4})
    response, participation = SurveyResponse.objects.get(), SurveyParticipation.objects.get()
    assert _who(personas, _restricted(SurveyResponse, "view"), response) == {"bob"}
    assert _who(personas, _restricted(SurveyParticipation, "view"), participation) == {"bob"}
    survey.refresh_from_db()
    assert survey.status == "open"


def test_a_scheduled_survey_is_seen_only_by_those_who_read_every_survey(personas):
    with time_machine.travel(NOW, tick=False):
        survey = services.survey_create(
            user=personas.mona,
            title="Later",
            opens_at=NOW + timedelta(days=5),
            closes_at=NOW + timedelta(days=9),
        )
    assert _who(personas, access.pulse_surveys_visible_to, survey) == {"alice", "mona", "sam", "eve", "root"}


def test_nobody_reads_an_anonymous_answer_row_not_even_admins(personas):
    with time_machine.travel(NOW, tick=False):
        survey = services.survey_create(
            user=personas.alice, title="Pulse", opens_at=NOW, closes_at=NOW + timedelta(days=3)
        )
        services.survey_respond(user=personas.carol, survey=survey, answers={"marketing_score": 2})
    row = AnonymousSurveyResponse.objects.get()
    assert not _who(personas, _restricted(AnonymousSurveyResponse, "view"), row)
    assert not _who(personas, _restricted(AnonymousSurveyResponse, "act"), row)


def test_field_reports_are_read_by_everyone_and_corroborated_by_everyone_but_executives(personas):
    rumour = services.field_report_create(
        user=personas.bob, topic="competitor", summary="Medica cuts prices", competitor="Medica"
    )
    assert _who(personas, _restricted(FieldReport, "view"), rumour) == set(EVERYONE)
    assert _who(personas, _restricted(FieldReport, "corroborate"), rumour) == set(EVERYONE) - {"eve"}
    with pytest.raises(AccessDenied, match="corroborate field reports"):
        services.field_report_corroborate(user=personas.eve, report=rumour, source_url="https://x.example/a")
    assert not Corroboration.objects.exists()
    services.field_report_corroborate(user=personas.carol, report=rumour, source_url="https://x.example/a")
    corroboration = Corroboration.objects.get()
    assert _who(personas, _restricted(Corroboration, "view"), corroboration) == set(EVERYONE)
    assert not _who(personas, _restricted(Corroboration, "act"), corroboration)


def test_ride_alongs_are_seen_by_those_on_them_their_managers_and_marketing_and_decided_by_marketing(
    personas,
):
    with time_machine.travel(NOW, tick=False):
        asked = services.ride_along_request(user=personas.bob, reason="Hospital CFO call")
        assert _who(personas, _restricted(RideAlong, "view"), asked) == {
            "alice", "mona", "bob", "mike", "sam", "eve", "root"
        }  # fmt: skip
        assert _who(personas, _restricted(RideAlong, "decide"), asked) == {"alice", "mona"}
        with pytest.raises(NotFound):
            services.ride_along_decide(user=personas.alice, ride_along_id=asked.pk + 1000, accept=True)
        proposed = RideAlong.objects.create(
            kind="scheduled",
            status="proposed",
            rep=personas.carol,
            marketer=personas.alice,
            reason="Rotation",
        )
        assert _who(personas, _restricted(RideAlong, "decide"), proposed) == {"alice", "mona"}
        other = RideAlong.objects.create(
            kind="scheduled", status="proposed", rep=personas.carol, marketer=personas.mona, reason="Rotation"
        )
        assert _who(personas, access.ride_alongs_actionable_by, other) == {"mona"}
        with pytest.raises(AccessDenied, match="proposed to"):
            services.ride_along_decide(user=personas.alice, ride_along_id=other.pk, accept=True)
        services.ride_along_decide(user=personas.alice, ride_along_id=asked.pk, accept=True)
        assert _who(personas, _restricted(RideAlong, "complete"), asked) == {"alice", "bob"}
        with pytest.raises(AccessDenied, match="on the call"):
            services.ride_along_complete(user=personas.mike, ride_along_id=asked.pk, notes="Heard things")
        with pytest.raises(NotFound):
            services.ride_along_complete(user=personas.carol, ride_along_id=asked.pk, notes="Heard things")
    asked.refresh_from_db()
    other.refresh_from_db()
    assert (asked.status, other.status) == ("accepted", "proposed")


def test_feature_checks_answer_by_role(personas):
    def holders(check) -> set[str]:
        return {name for name in EVERYONE if check(getattr(personas, name))}

    assert holders(access.may_write_research_questions) == {"alice", "mona", "root"}
    assert holders(access.may_schedule_surveys) == {"alice", "mona", "root"}
    assert holders(access.may_answer_surveys) == {"bob", "carol", "charlie"}
    assert holders(access.may_write_field_reports) == set(EVERYONE) - {"eve"}
    assert holders(access.may_log_customer_research) == {"alice", "mona", "root"}
    assert holders(access.may_request_ride_alongs) == {"bob", "carol", "charlie", "mike", "fiona"}
    assert holders(access.may_propose_rotation) == {"mona", "root"}
    assert holders(access.may_read_collaboration_panel) == {"mona", "sam", "eve", "root"}
