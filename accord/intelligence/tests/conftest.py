"""Intelligence test helpers: reps beyond the personas, a lead for a rep, an active question."""

from __future__ import annotations

import itertools

import pytest

_n = itertools.count(1)


@pytest.fixture
def make_rep(personas):
    from accord.people.models import Role
    from accord.people.tests.factories import user_with_roles

    def make(name=None, team=None):
        return user_with_roles(
            name or f"rep{next(_n)}", Role.SALES_REP, team=team or personas.health, manager=personas.mike
        )

    return make


@pytest.fixture
def lead_for():
    from accord.leads.models import Lead, Stage

    def make(owner):
        n = next(_n)
        email = f"pat{n}@clinic{n}.example"
        return Lead.objects.create(
            email=email,
            email_key=email,
            first_name="Pat",
            last_name=f"Lee{n}",
            company=f"Clinic {n}",
            stage=Stage.SAL,
            score=50,
            owner=owner,
        )

    return make


@pytest.fixture
def question(personas):
    from accord.intelligence.services import research_question_create

    return research_question_create(
        user=personas.alice, text="Did the customer mention Medica?", options=["Yes", "No"], activate=True
    )
