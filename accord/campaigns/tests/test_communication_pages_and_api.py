"""Communication pages and API: who may create, send and read, the forms, and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from accord.campaigns.communication_services import VariantSpec, communication_create, communication_send
from accord.campaigns.models import Communication, CommunicationStatus, Delivery, Variant
from accord.campaigns.tests.factories import CampaignFactory, LeadFactory
from accord.people.tests.factories import user_with_roles


@pytest.fixture
def campaign(personas):
    return CampaignFactory(name="Spring", owner=personas.alice)


@pytest.fixture
def sent(personas, campaign, smtp_server):
    communication = communication_create(
        campaign=campaign, actor=personas.alice, name="Invite", subject="=HYPERLINK(\"x\")",
        variants=[VariantSpec(), VariantSpec(subject="@SUM(1)")],
    )  # fmt: skip
    leads = [
        LeadFactory(owner=personas.bob, company="=cmd|'/c calc'!A1"),
        LeadFactory(owner=personas.charlie, company="Bank"),
    ]
    communication_send(
        communication=communication, actor=personas.alice, lead_ids=[lead.pk for lead in leads]
    )
    return communication


def test_marketing_creates_a_communication_with_variants_in_the_api(personas, campaign, api_client_for):
    response = api_client_for(personas.alice).post(
        f"/api/v1/campaigns/{campaign.pk}/communications",
        {
            "name": "Nurture 1",
            "subject": "Hello",
            "success_metric": "reply",
            "variants": [{}, {"subject": "Hi {first_name}", "weight": 2}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(v["key"], v["subject"], v["weight"]) for v in body["variants"]] == [
        ("A", "", 1),
        ("B", "Hi {first_name}", 2),
    ]
    assert body["status"] == "draft" and body["success_metric"] == "reply"
    listed = api_client_for(personas.sam).get(f"/api/v1/campaigns/{campaign.pk}/communications").json()
    assert [c["name"] for c in listed] == ["Nurture 1"]


def test_an_email_without_a_subject_is_refused(personas, campaign, api_client_for):
    response = api_client_for(personas.alice).post(
        f"/api/v1/campaigns/{campaign.pk}/communications",
        {"name": "No subject"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "subject" in response.json()["detail"]


def test_sales_read_the_result_but_only_marketing_sends(personas, sent, api_client_for):
    result = api_client_for(personas.sam).get(f"/api/v1/communications/{sent.pk}/result")
    assert result.status_code == 200
    body = result.json()
    assert sum(v["trials"] for v in body["variants"]) == 2 and body["summary"] and body["explanation"]
    for user in (personas.bob, personas.sam, personas.eve):
        refused = api_client_for(user).post(
            f"/api/v1/communications/{sent.pk}/send", {}, content_type="application/json"
        )
        assert refused.status_code == 403
    assert (
        api_client_for(personas.mona)
        .post(f"/api/v1/communications/{sent.pk}/send", {"lead_ids": []}, content_type="application/json")
        .json()["sent"]
        == 0
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("send", {"lead_ids": [2**70]}, "lead_ids.0"),
        ("send", {"lead_ids": [0]}, "lead_ids.0"),
        ("outcomes", {"lead_id": 2**70, "outcome": "opened"}, "lead_id"),
        ("outcomes", {"lead_id": -(2**70), "outcome": "opened"}, "lead_id"),
    ],
)
def test_a_lead_id_beyond_64_bits_is_a_422_naming_it(personas, sent, api_client_for, path, body, field):
    response = api_client_for(personas.mona).post(
        f"/api/v1/communications/{sent.pk}/{path}", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]


def test_someone_without_a_role_gets_404_everywhere(personas, sent, api_client_for, client_for):
    nobody = user_with_roles("nobody")
    api, page = api_client_for(nobody), client_for(nobody)
    assert api.get(f"/api/v1/communications/{sent.pk}").status_code == 404
    assert api.get(f"/api/v1/communications/{sent.pk}/result").status_code == 404
    assert api.get(f"/api/v1/campaigns/{sent.campaign_id}/communications").status_code == 404
    assert (
        api.post(f"/api/v1/communications/{sent.pk}/send", {}, content_type="application/json").status_code
        == 404
    )
    assert page.get(f"/communications/{sent.pk}/").status_code == 404
    assert page.get(f"/communications/{sent.pk}/deliveries.csv").status_code == 404
    assert page.get("/communications/").status_code == 404


def test_marketing_creates_edits_and_sends_on_the_pages(personas, campaign, client_for, smtp_server):
    client = client_for(personas.alice)
    assert 'id="communications-link"' in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    form = {
        "name": "Webinar",
        "kind": "email",
        "subject": "Join us",
        "body": "Hi {first_name}",
        "success_metric": "click",
        "success_window_days": "14",
        "audience": "campaign",
        "audience_stage": "",
        "a_weight": "1",
        "b_subject": "Seats are going",
        "b_weight": "1",
    }
    response = client.post(f"/campaigns/{campaign.pk}/communications/new/", form)
    communication = Communication.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/communications/{communication.pk}/"
    assert list(Variant.objects.values_list("key", "subject")) == [("A", ""), ("B", "Seats are going")]
    client.post(f"/communications/{communication.pk}/edit/", {**form, "c_subject": "Third", "c_weight": "2"})
    assert list(Variant.objects.values_list("key", "weight")) == [("A", 1), ("B", 1), ("C", 2)]

    lead = LeadFactory()
    from django.utils import timezone

    from accord.campaigns.touchpoint_services import touchpoint_record

    touchpoint_record(lead=lead, kind="form_submission", occurred_at=timezone.now(), campaign=campaign)
    client.post(f"/communications/{communication.pk}/send/")
    assert Delivery.objects.get().lead == lead and smtp_server.to(lead.email)
    page = client.get(f"/communications/{communication.pk}/").content.decode()
    assert 'id="verdict"' in page and "Sent to 1" in page and "How the test works" in page
    # Once sent, the variants are fixed.
    client.post(f"/communications/{communication.pk}/edit/", {**form, "name": "Webinar (renamed)"})
    communication.refresh_from_db()
    assert communication.name == "Webinar (renamed)" and Variant.objects.count() == 3
    assert communication.status == CommunicationStatus.SENT


def test_a_rep_cannot_open_the_new_form_or_send(personas, sent, client_for):
    client = client_for(personas.bob)
    assert client.get(f"/campaigns/{sent.campaign_id}/communications/new/").status_code == 403
    assert client.post(f"/communications/{sent.pk}/send/").status_code == 403
    assert client.get(f"/communications/{sent.pk}/").status_code == 200


def test_the_csv_escapes_formulas_and_shows_a_rep_only_their_teams_leads(personas, sent, client_for):
    def rows(user):
        response = client_for(user).get(f"/communications/{sent.pk}/deliveries.csv")
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    everyone = rows(personas.alice)
    assert len(everyone) == 2
    cells = {cell for row in everyone for cell in row.values()}
    assert not any(cell.startswith(("=", "@", "+", "-")) for cell in cells)
    assert "'=cmd|'/c calc'!A1" in cells and cells & {'\'=HYPERLINK("x")', "'@SUM(1)"}
    assert [r["company"] for r in rows(personas.carol)] == ["'=cmd|'/c calc'!A1"]  # bob's team lead only


def test_the_pages_list_communications_for_sales_too(personas, sent, client_for):
    client = client_for(personas.carol)
    assert "Invite" in client.get(f"/campaigns/{sent.campaign_id}/communications/").content.decode()
    assert "Invite" in client.get("/communications/").content.decode()


def test_the_detail_page_takes_a_fixed_number_of_queries(
    personas, sent, client_for, django_assert_max_num_queries, smtp_server
):
    client = client_for(personas.alice)
    client.get(f"/communications/{sent.pk}/")
    communication_send(
        communication=sent,
        actor=personas.alice,
        lead_ids=[LeadFactory(owner=personas.bob).pk for _ in range(15)],
    )
    with django_assert_max_num_queries(14):
        assert client.get(f"/communications/{sent.pk}/").status_code == 200


def test_send_now_hands_an_audience_above_the_inline_limit_to_the_worker(
    personas, campaign, client_for, smtp_server, settings, run_due_tasks, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from accord.campaigns.touchpoint_services import touchpoint_record

    settings.ACCORD_SEND_INLINE_LIMIT = 2
    communication = communication_create(
        campaign=campaign,
        actor=personas.alice,
        name="Launch",
        kind="email",
        subject="New",
        body="Hi",
        audience="campaign",
        variants=[VariantSpec(), VariantSpec(subject="Newer")],
    )
    leads = [LeadFactory() for _ in range(3)]
    for lead in leads:
        touchpoint_record(lead=lead, kind="form_submission", occurred_at=timezone.now(), campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(personas.alice).post(f"/communications/{communication.pk}/send/", follow=True)
    assert "Sending to 3 people in the background" in response.content.decode()
    assert Delivery.objects.count() == 0  # nothing went out inside the request
    communication.refresh_from_db()
    assert communication.status == CommunicationStatus.SCHEDULED
    run_due_tasks()
    assert Delivery.objects.count() == 3 and all(smtp_server.to(lead.email) for lead in leads)
