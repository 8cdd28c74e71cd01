"""The library: tracked share links (a prospect's view is an event on the lead), ratings, a rep's own
material going through review, and the reports (unused, most used, best rated, used in won deals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from django.test import Client

from accord.campaigns.tests.factories import LeadFactory
from accord.core.events import events_for
from accord.deals.models import Deal, DealStage
from accord.enablement.models import MaterialOrigin, MaterialStatus, Share
from accord.enablement.selectors import library_report
from accord.enablement.services import (
    material_publish,
    material_retire,
    material_submit_review,
    rating_set,
    reviews_remind_and_close,
    share_create,
)
from accord.enablement.tests.conftest import PDF_BYTES
from accord.leads.models import Account

START = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def _published(enable, make_material, **spec):
    with time_machine.travel(START, tick=False):
        material = make_material(**spec)
        material_submit_review(material=material, user=enable.alice)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        reviews_remind_and_close()
        material_publish(material=material, user=enable.alice, change_note="New")
    return material


def test_a_prospect_opening_a_share_link_is_an_event_on_the_lead(enable, make_material):
    material = _published(enable, make_material)
    lead = LeadFactory(email="pat@clinic.example", owner=enable.bob)
    with time_machine.travel(START + timedelta(days=4), tick=False):
        share = share_create(material=material, user=enable.bob, lead_id=lead.pk)
        response = Client().get(f"/m/{share.token}")
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
        Client().get(f"/m/{share.token}")  # again within the hour: counted, one event
    with time_machine.travel(START + timedelta(days=4, hours=2), tick=False):
        Client().get(f"/m/{share.token}")
    share.refresh_from_db()
    assert share.views == 3
    viewed = [e for e in events_for(lead) if e.type == "material.viewed"]
    assert len(viewed) == 2 and viewed[0].payload["material"] == material.pk
    assert Client().get("/m/not-a-token").status_code == 404
    material_retire(material=material, user=enable.alice, reason="Outdated")
    assert Client().get(f"/m/{share.token}").status_code == 404


def test_a_reps_own_material_goes_through_review_before_it_reaches_the_library(
    enable, make_material, client_for
):
    material = make_material(
        user=enable.carol, title="My objection handler", url="https://docs.example/handler"
    )
    assert material.origin == MaterialOrigin.SALES and material.owner == enable.carol
    assert (
        client_for(enable.bob).get(f"/enablement/materials/{material.pk}/").status_code == 404
    )  # bob: not yet
    material_submit_review(material=material, user=enable.carol)
    assert material.__class__.objects.get(pk=material.pk).status == MaterialStatus.IN_REVIEW
    assert (
        client_for(enable.bob).get(f"/enablement/materials/{material.pk}/").status_code == 200
    )  # the committee


def test_the_reports_show_unused_most_used_best_rated_and_used_in_won_deals(enable, make_material):
    p = enable
    used = _published(enable, make_material, title="Used deck")
    unused = _published(enable, make_material, title="Dusty deck")
    lead = LeadFactory(email="buyer@clinic.example", owner=p.bob)
    account = Account.objects.create(name="Clinic", name_key="clinic", owner=p.bob)
    with time_machine.travel(START + timedelta(days=5), tick=False):
        share_create(material=used, user=p.bob, lead_id=lead.pk)
        rating_set(material=used, user=p.bob, usefulness=5, missing="A pricing comparison")
        rating_set(material=unused, user=p.carol, usefulness=2)
        Deal.objects.create(
            name="Clinic deal",
            account=account,
            contact=lead,
            owner=p.bob,
            amount=Decimal("100"),
            stage=DealStage.WON,
            closed_at=START + timedelta(days=5, hours=1),
        )
    with time_machine.travel(START + timedelta(days=6), tick=False):
        report = library_report(user=p.mona)
    assert [m.title for m in report.unused] == ["Dusty deck"]
    assert [(m.title, m.shared) for m in report.most_used] == [("Used deck", 1)]
    assert [m.title for m in report.best_rated] == ["Used deck", "Dusty deck"]
    assert [(m.title, m.won_deals) for m in report.used_in_won_deals] == [("Used deck", 1)]
    assert [r.missing for r in report.missing] == ["A pricing comparison"]


def test_pages_of_the_library_and_the_workspace_answer_each_role(enable, make_material, client_for):
    material = _published(enable, make_material, title="Claims deck", product="Claims")
    carol = client_for(enable.carol)
    page = carol.get("/library/", {"product": "Claims"})
    assert page.status_code == 200 and "Claims deck" in page.content.decode()
    assert carol.get(f"/library/{material.pk}/").status_code == 200
    assert carol.get("/library/reports/").status_code == 403
    assert client_for(enable.mike).get("/library/reports/").status_code == 200
    assert client_for(enable.eve).get("/enablement/").status_code == 403
    for url in (
        "/enablement/",
        "/enablement/briefs/",
        "/enablement/committee/",
        "/enablement/positioning/",
        f"/enablement/materials/{material.pk}/",
        "/enablement/materials/new/",
        "/enablement/briefs/new/",
    ):
        assert client_for(enable.alice).get(url).status_code == 200, url
    response = carol.post(f"/library/{material.pk}/rate", {"usefulness": "4", "missing": "ROI numbers"})
    assert response.status_code == 302
    assert Share.objects.count() == 0


def test_a_new_version_is_reviewed_while_the_library_keeps_serving_the_published_one(
    enable, make_material, client_for, run_due_tasks
):
    from accord.enablement.models import Material, TeamNotice
    from accord.enablement.services import material_version_add
    from accord.enablement.tests.conftest import pdf_upload

    material = Material.objects.get(pk=_published(enable, make_material, customer_facing=False).pk)
    first = material.published_version_id
    assert first is not None
    v2 = material_version_add(
        material=material,
        user=enable.alice,
        upload=pdf_upload(data=PDF_BYTES + b"%v2\n"),
        note="Adds the 2027 prices",
    )
    material = Material.objects.get(pk=material.pk)
    assert (
        material.status == MaterialStatus.DRAFT
        and material.in_library
        and material.published_version_id == first
    )
    carol = client_for(enable.carol)
    assert carol.get(f"/enablement/materials/{material.pk}/versions/{v2.pk}/file").status_code == 404
    assert carol.get(f"/enablement/materials/{material.pk}/versions/{first}/file").status_code == 200
    assert (
        carol.get(f"/enablement/materials/{material.pk}/").status_code == 302
    )  # readers get the library page
    material_submit_review(material=material, user=enable.alice)
    material_publish(material=material, user=enable.alice, change_note="2027 prices")
    assert Material.objects.get(pk=material.pk).published_version_id == v2.pk
    assert TeamNotice.objects.filter(subject="Updated in the library: Health battlecard").count() == 1


def test_the_library_reads_a_fixed_number_of_queries_however_much_is_in_it(
    enable, make_material, client_for, api_client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accord.enablement.models import Material

    def counts() -> tuple[int, int]:
        page, api = client_for(enable.carol), api_client_for(enable.carol)
        with CaptureQueriesContext(connection) as on_page:
            assert page.get("/library/").status_code == 200
        with CaptureQueriesContext(connection) as in_api:
            assert api.get("/api/v1/library").status_code == 200
        return len(on_page), len(in_api)

    _published(enable, make_material, title="One", customer_facing=False)
    few = counts()
    for n in range(6):
        _published(enable, make_material, title=f"More {n}", customer_facing=False)
    assert Material.objects.filter(published_version__isnull=False).count() == 7
    assert counts() == few


def test_brief_and_committee_pages_work_end_to_end(enable, agreed_brief, client_for):
    from accord.enablement.models import Brief, Committee

    alice = client_for(enable.alice)
    page = alice.get(f"/enablement/briefs/{agreed_brief.pk}/").content.decode()
    assert "Cuts claim handling time in half" in page and 'data-agreed="yes"' in page
    response = alice.post(
        f"/enablement/briefs/{agreed_brief.pk}/edit",
        {
            "title": "Claims module",
            "subject": "collateral",
            "product": "Claims",
            **{
                name: getattr(agreed_brief, name)
                for name, _label, _value in agreed_brief.answers() + agreed_brief.outcomes()
            },
            "whats_in_it_for_sales": "Shorter cycles and a reference customer",
        },
    )
    assert response.status_code == 302
    assert not Brief.objects.get(pk=agreed_brief.pk).is_agreed
    new = alice.post(
        "/enablement/briefs/new/", {"title": "Billing", "subject": "product", "benefits_whom": "CFOs"}
    )
    assert new.status_code == 302 and Brief.objects.filter(title="Billing").exists()

    Committee.objects.all().delete()
    sam = client_for(enable.sam)
    response = sam.post(
        "/enablement/committee/",
        {
            "name": "FY2030 H1",
            "starts_on": "2030-01-01",
            "ends_on": "2030-06-30",
            "members": [enable.bob.pk, enable.carol.pk],
        },
    )
    assert response.status_code == 302
    assert sorted(u.username for u in Committee.objects.get(name="FY2030 H1").members.all()) == [
        "bob",
        "carol",
    ]
    three = sam.post(
        "/enablement/committee/",
        {
            "name": "Too many",
            "starts_on": "2031-01-01",
            "ends_on": "2031-06-30",
            "members": [enable.bob.pk, enable.carol.pk, enable.charlie.pk],
        },
    )
    assert three.status_code == 200 and "one or two reps" in three.content.decode()
    manager = sam.post(
        "/enablement/committee/",
        {"name": "Manager", "starts_on": "2032-01-01", "ends_on": "2032-06-30", "members": [enable.mike.pk]},
    )
    assert manager.status_code == 200 and Committee.objects.count() == 1
