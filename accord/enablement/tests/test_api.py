"""The API contract: briefs and their agreement, materials by multipart upload or link, the library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from accord.enablement.models import BRIEF_QUESTIONS, Brief, Material
from accord.enablement.services import material_publish, material_submit_review, reviews_remind_and_close
from accord.enablement.tests.conftest import PDF_BYTES, pdf_upload

ANSWERS = {name: f"{label} answered" for name, label in BRIEF_QUESTIONS}


def test_a_brief_is_agreed_when_its_marketing_owner_and_a_salesperson_accept(enable, api_client_for):
    alice, bob = api_client_for(enable.alice), api_client_for(enable.bob)
    response = alice.post(
        "/api/v1/briefs",
        {"title": "Claims module", "product": "Claims", **ANSWERS, "brand_message": "Claims, done"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    brief = response.json()
    assert brief["agreed"] is False and brief["missing_answers"] == []
    assert bob.post(f"/api/v1/briefs/{brief['id']}/agree").json()["sales_acceptance"]["by"] == "bob"
    agreed = alice.post(f"/api/v1/briefs/{brief['id']}/agree").json()
    assert agreed["agreed"] is True and agreed["marketing_acceptance"]["by"] == "alice"
    assert api_client_for(enable.eve).post(f"/api/v1/briefs/{brief['id']}/agree").status_code == 403
    listed = bob.get("/api/v1/briefs").json()
    assert (
        listed["count"] == 1
        and listed["results"][0]["whats_in_it_for_sales"] == ANSWERS["whats_in_it_for_sales"]
    )


def test_a_brief_with_open_questions_cannot_be_accepted_and_only_marketing_drafts(enable, api_client_for):
    response = api_client_for(enable.bob).post(
        "/api/v1/briefs", {"title": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 403
    created = (
        api_client_for(enable.alice)
        .post("/api/v1/briefs", {"title": "Thin", "benefits_whom": "CFOs"}, content_type="application/json")
        .json()
    )
    response = api_client_for(enable.bob).post(f"/api/v1/briefs/{created['id']}/agree")
    assert response.status_code == 409
    assert "What is in it for sales?" in response.json()["detail"]["missing"]


def test_changing_an_agreed_brief_clears_both_acceptances(enable, agreed_brief):
    from accord.enablement.services import brief_update

    assert agreed_brief.is_agreed
    brief_update(brief=agreed_brief, user=enable.carol, texts={"whats_in_it_for_sales": "Shorter cycles"})
    brief = Brief.objects.get(pk=agreed_brief.pk)
    assert not brief.is_agreed and brief.marketing_agreed_at is None and brief.sales_agreed_at is None


def test_materials_are_created_by_multipart_upload_or_by_link(enable, api_client_for, agreed_brief):
    alice = api_client_for(enable.alice)
    response = alice.post(
        "/api/v1/materials",
        {"title": "Deck", "brief": agreed_brief.pk, "needs_legal": "true", "file": pdf_upload("deck.pdf")},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["current_version"]["file_kind"] == "PDF document" and body["needs_legal"] is True
    assert body["brief"]["value_proposition"] == "Cuts claim handling time in half"
    sneaky = alice.post(
        "/api/v1/materials", {"title": "W", "url": "https://example.com/w", "status": "published"}
    )
    assert sneaky.status_code == 422 and sneaky.json()["detail"] == {"status": "unknown field"}
    link = alice.post("/api/v1/materials", {"title": "Webinar", "url": "https://example.com/webinar"})
    assert link.status_code == 201 and link.json()["kind"] == "link"
    bad = alice.post("/api/v1/materials", {"title": "Fake", "file": pdf_upload("x.pdf", b"not a pdf at all")})
    assert bad.status_code == 400 and bad.json()["detail"] == {"file": "unaccepted content"}
    assert (
        api_client_for(enable.eve)
        .post("/api/v1/materials", {"title": "Exec", "url": "https://e.x"})
        .status_code
        == 403
    )
    download = alice.get(body["current_version"]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert api_client_for(enable.carol).get(body["current_version"]["download_url"]).status_code == 404


def test_comments_through_the_api_are_anchored(enable, make_material, api_client_for):
    material = make_material()
    material_submit_review(material=material, user=enable.alice)
    bob = api_client_for(enable.bob)
    missing = bob.post(
        f"/api/v1/materials/{material.pk}/comments", {"body": "Hm"}, content_type="application/json"
    )
    assert missing.status_code == 400
    made = bob.post(
        f"/api/v1/materials/{material.pk}/comments",
        {"body": "Say 'hospital'", "quote": "clinic"},
        content_type="application/json",
    )
    assert (
        made.status_code == 201 and made.json()["quote"] == "clinic" and made.json()["within_window"] is True
    )
    assert (
        api_client_for(enable.carol)
        .post(
            f"/api/v1/materials/{material.pk}/comments",
            {"body": "x", "page": 1},
            content_type="application/json",
        )
        .status_code
        == 404
    )


def _publish(enable, make_material, **spec):
    start = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        material = make_material(**spec)
        material_submit_review(material=material, user=enable.alice)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        reviews_remind_and_close()
        material_publish(material=material, user=enable.alice, change_note="New")
    return material


def test_the_library_searches_and_filters_published_material_only(enable, make_material, api_client_for):
    claims = _publish(
        enable,
        make_material,
        title="Claims battlecard",
        product="Claims",
        stage="evaluation",
        vertical="Healthcare",
        competitor="Acme",
        questions="Does it integrate with Epic?",
    )
    _publish(enable, make_material, title="Billing one-pager", product="Billing", vertical="Finance")
    make_material(title="Claims draft", product="Claims")  # a draft: never in the library
    carol = api_client_for(enable.carol)

    def titles(**query):
        response = carol.get("/api/v1/library", query)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert sorted(titles()) == ["Billing one-pager", "Claims battlecard"]
    assert titles(product="claims") == ["Claims battlecard"]
    assert titles(stage="evaluation") == ["Claims battlecard"]
    assert titles(vertical="Finance") == ["Billing one-pager"]
    assert titles(competitor="Acme") == ["Claims battlecard"]
    assert titles(question="epic") == ["Claims battlecard"]
    assert titles(q="one-pager") == ["Billing one-pager"]
    assert carol.get("/api/v1/library", {"stage": "nonsense"}).status_code == 422
    Material.objects.filter(pk=claims.pk).update(retired_at=datetime(2027, 3, 5, tzinfo=UTC))
    assert titles() == ["Billing one-pager"]
