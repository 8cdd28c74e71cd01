"""Knowledge's records in the one access layer: ``restrict`` knows every knowledge model, and the rules
per record (who sees, who acts) are answered by ``accord.people.access`` like every other record's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.apps import apps

from accord.core.errors import AccessDenied, NotFound
from accord.knowledge.models import Answer, Question
from accord.knowledge.services import answer_create, answer_update, question_answer, question_ask
from accord.people import access

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
EVERYONE = ("alice", "mona", "bob", "carol", "mike", "fiona", "sam", "charlie", "eve", "root")


def _who(personas, queryset_for, record) -> set[str]:
    return {name for name in EVERYONE if queryset_for(getattr(personas, name)).filter(pk=record.pk).exists()}


def _restricted(model, action):
    return lambda u: access.restrict(model.objects.all(), u, action)


def test_restrict_knows_every_knowledge_model(personas):
    for model in apps.get_app_config("knowledge").get_models():
        assert model._meta.label_lower in access.POLICIES, model._meta.label
        assert access.restrict(model.objects.all(), personas.root, "view") is not None
        assert access.restrict(model.objects.all(), personas.root, "act") is not None


def test_a_question_is_seen_by_its_asker_those_above_marketing_heads_and_answered_by_marketing(personas):
    with time_machine.travel(NOW, tick=False):
        question = question_ask(user=personas.bob, text="How long is the free trial?")
        assert _who(personas, _restricted(Question, "view"), question) == {
            "bob", "mike", "sam", "alice", "mona", "eve", "root"
        }  # fmt: skip
        assert _who(personas, _restricted(Question, "answer"), question) == {"alice", "mona", "root"}
        with pytest.raises(AccessDenied, match="Only marketing"):
            question_answer(user=personas.mike, question=question, body="Thirty days.")
        with pytest.raises(NotFound):
            access.access_knowledge_question_by_id(personas.carol, question.pk, action="view")
    question.refresh_from_db()
    assert question.status == "open"


def test_an_answer_is_changed_by_its_owner_the_marketing_head_and_admins(personas):
    with time_machine.travel(NOW, tick=False):
        alices = answer_create(user=personas.alice, title="Trial length", body="Thirty days.")
        monas = answer_create(user=personas.mona, title="Reseller programme", body="Not yet.")
        assert _who(personas, _restricted(Answer, "view"), alices) == set(EVERYONE)
        assert _who(personas, _restricted(Answer, "cite"), alices) == set(EVERYONE)
        assert _who(personas, _restricted(Answer, "act"), alices) == {"alice", "mona", "root"}
        assert _who(personas, _restricted(Answer, "act"), monas) == {"mona", "root"}
        with pytest.raises(AccessDenied, match="owner"):
            answer_update(user=personas.alice, answer=monas, body="Soon.")
        with pytest.raises(AccessDenied, match="Only marketing"):
            answer_update(user=personas.bob, answer=alices, body="Forty days.")
        monas.refresh_from_db()
        alices.refresh_from_db()
        assert (monas.body, alices.body) == ("Not yet.", "Thirty days.")
        assert access.may_act(personas.mona, alices, "act")
        assert not access.may_act(personas.alice, monas, "act")


def test_a_retired_answer_is_seen_and_cited_only_by_marketing_and_admins(personas):
    with time_machine.travel(NOW, tick=False):
        answer = answer_create(user=personas.alice, title="Old pricing", body="Was 10.")
        answer_update(user=personas.alice, answer=answer, retired=True, review_by=date(2099, 1, 1))
        assert _who(personas, _restricted(Answer, "view"), answer) == {"alice", "mona", "root"}
        assert _who(personas, _restricted(Answer, "cite"), answer) == {"alice", "mona", "root"}
        with pytest.raises(NotFound):
            question_ask(user=personas.bob, text="What did it cost before?", resolved_by=answer)
    assert not Question.objects.exists()
    answer.refresh_from_db()
    assert answer.times_asked == 0
