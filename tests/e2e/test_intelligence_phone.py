"""The intelligence and knowledge pages fit a 390 px phone: no horizontal page scroll (wide tables
scroll inside their own box)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.intelligence.services import field_report_create, research_question_create, survey_create
from accord.knowledge.services import answer_create, question_ask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_new_pages_fit_a_phone(browser, live_server, personas, sign_in):
    from django.utils import timezone

    question = research_question_create(
        user=personas.alice,
        text="Did the prospect mention a competitor?",
        options=["Medica", "FinLedger", "None"],
        activate=True,
    )
    now = timezone.now()
    survey = survey_create(
        user=personas.alice, title="Pulse", opens_at=now, closes_at=now + timedelta(days=3)
    )
    field_report_create(
        user=personas.bob, topic="competitor", competitor="Medica", summary="Medica discounts " * 8
    )
    answer = answer_create(
        user=personas.alice, title="Trial length and how to extend it", body="Thirty days. " * 20
    )
    asked = question_ask(user=personas.bob, text="Do we support single sign-on with Okta and Azure AD?")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        for user, urls in (
            (
                personas.bob,
                [
                    "/inbox/",
                    "/intelligence/",
                    f"/intelligence/questions/{question.pk}/",
                    f"/intelligence/surveys/{survey.pk}/",
                    "/intelligence/reports/",
                    "/intelligence/ride-alongs/",
                    "/knowledge/",
                    f"/knowledge/answers/{answer.pk}/",
                ],
            ),
            (
                personas.mona,
                [
                    "/intelligence/collaboration/",
                    "/intelligence/collaboration/sla_compliance/",
                    "/intelligence/surveys/",
                    f"/knowledge/questions/{asked.pk}/",
                    "/knowledge/",
                ],
            ),
        ):
            page.context.clear_cookies()
            sign_in(page, user, personas.password)
            for url in urls:
                page.goto(f"{live_server.url}{url}")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, f"{url} is {width} px wide for {user.username}"
    finally:
        context.close()
