"""A rep asks marketing a question: matching answers appear while typing; a new question is answered by
marketing, and the next rep who asks finds that answer while typing."""

from __future__ import annotations

import pytest

from accord.knowledge.models import Question
from accord.knowledge.services import answer_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_sees_answers_while_typing_and_the_next_rep_finds_marketings_new_answer(
    page, live_server, personas, sign_in, sign_out
):
    answer_create(
        user=personas.alice,
        title="Do we give discounts to hospitals?",
        body="Non-profit hospitals get 15% off list on annual plans.",
    )

    sign_in(page, personas.bob, personas.password)
    page.goto(f"{live_server.url}/knowledge/")
    box = page.locator("#ask-text")
    box.press_sequentially("any price reduction for a hospital", delay=20)
    suggestion = page.locator("#suggestion-list .suggestion").first
    suggestion.wait_for()
    assert "Do we give discounts to hospitals?" in suggestion.inner_text()

    box.fill("")
    box.press_sequentially("Can customers log in with Okta single sign-on?", delay=10)
    page.locator("#no-suggestions").wait_for()
    page.click("button[data-action=ask]")
    page.wait_for_url("**/knowledge/questions/**")
    question = Question.objects.get()
    assert question.owner == personas.alice and question.status == "open"
    sign_out(page)

    sign_in(page, personas.alice, personas.password)
    page.goto(f"{live_server.url}/knowledge/")
    page.click(f"#question-queue a[href='/knowledge/questions/{question.pk}/']")
    page.fill("#answer-body", "Yes: SAML 2.0 single sign-on works with Okta, Azure AD and Google.")
    page.click("button[data-action=answer]")
    page.wait_for_load_state()
    assert "Answered" in page.content()
    sign_out(page)

    sign_in(page, personas.carol, personas.password)
    page.goto(f"{live_server.url}/knowledge/")
    page.locator("#ask-text").press_sequentially("sso with okt", delay=20)
    found = page.locator("#suggestion-list .suggestion").first
    found.wait_for()
    assert "Okta" in found.inner_text()
    found.locator("button[data-action=resolved]").click()
    page.wait_for_url("**/knowledge/answers/**")
    question.refresh_from_db()
    assert question.answer.times_asked == 2  # marketing's answer, then carol's question settled by it
