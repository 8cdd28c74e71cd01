"""Erasure: a person who reached Accord every way there is leaves no trace of their address anywhere."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.models import Channel, Event, IdempotencyRecord
from accord.deals.models import Deal
from accord.deals.services import lead_convert
from accord.intake.importing import import_job_create, import_job_run
from accord.intake.tests.test_intake import VP, criteria_make, lead_make
from accord.leads.models import ImportJob, Lead, PossibleDuplicate
from accord.leads.services import lead_merge
from accord.notifications.models import MailInMessage, Notification, NotificationKind
from accord.notifications.services import notify
from accord.privacy.models import ErasureRecord
from accord.privacy.selectors import ERASED_CONTACT_EMAIL, email_hash
from accord.privacy.services import lead_delete, lead_unsubscribe, privacy_erase
from accord.privacy.tests.scan import database_hits, file_hits
from accord.routing.models import LeadRouting
from accord.sla.models import SlaClock, Touch
from accord.sla.services import lead_accept, sla_start_for_assignment, touch_log

EMAIL = "jane.doe@acme-health.com"
ALIAS = "jd.private@mailbox.example"
OTHER = "ken.roe@acme-health.com"


def import_file(rows: str, user) -> ImportJob:
    csv_text = "Email,First Name,Last Name,Company,Company Size,Notes\n" + rows
    job = import_job_create(
        uploaded=SimpleUploadedFile("people.csv", csv_text.encode()), source=None, actor=user
    )
    return import_job_run(job_id=job.pk)


@pytest.fixture
def jane(personas, api_client_for):
    """Jane reaches Accord through the API (with an idempotency key), an import, a merge with an old
    address, routing, an SLA clock, acceptance, a touch, a deal, notifications, a duplicate pair, a
    mail-in message and an unsubscribe. Ken, a colleague, goes through some of the same."""
    criteria_make(personas.mona, personas.sam)
    response = api_client_for(personas.alice).post(
        "/api/v1/leads",
        data=json.dumps(
            {
                "email": EMAIL,
                "first_name": "Jane",
                "last_name": "Doe",
                "custom": {"favourite_colour": f"ask {EMAIL}"},
                **VP,
            }
        ),
        content_type="application/json",
        headers={"Idempotency-Key": "jane-1"},
    )
    assert response.status_code == 201, response.content
    job = import_file(
        f"{EMAIL.upper()},Jane,Doe,Acme Health,500,re-import\n"
        f"{EMAIL},Jane,Doe,Acme Health,lots,bad size\n"
        f"{OTHER},Ken,Roe,Acme Health,500,colleague of {EMAIL}\n",
        personas.alice,
    )
    assert job.error_file.name  # the "lots" row was rejected: the error report mentions Jane
    lead = Lead.objects.get(email_key=EMAIL)
    alias = lead_make(ALIAS, first_name="Jane", last_name="Doe")
    lead = lead_merge(keep=lead, merge=alias, actor=personas.alice)
    ken = Lead.objects.get(email_key=OTHER)
    PossibleDuplicate.objects.create(lead=lead, other=ken, reason="same company")
    Lead.objects.filter(pk=lead.pk).update(owner=personas.bob)
    LeadRouting.objects.create(
        lead=lead, reason="rule", explanation=f"routed {EMAIL} to bob", routed_at=timezone.now()
    )
    sla_start_for_assignment(lead=lead, assigned_at=timezone.now())
    lead_accept(lead=lead, user=personas.bob)
    touch_log(lead=lead, user=personas.bob, kind="call", note=f"called, wants mail at {EMAIL}")
    lead.refresh_from_db()
    lead_convert(lead=lead, user=personas.bob, amount="5000")
    notify(
        user=personas.bob,
        kind=NotificationKind.OTHER,
        subject=f"Note about {EMAIL}",
        body="see lead",
        lead=lead,
    )
    notify(user=personas.bob, kind=NotificationKind.OTHER, subject="Call Jane", body="", lead=lead)
    notify(user=personas.mike, kind=NotificationKind.OTHER, subject="Digest", body=f"{EMAIL} replied")
    MailInMessage.objects.create(
        user=personas.bob,
        status="unmatched",
        from_address=EMAIL,
        subject="Re: demo",
        raw=f"From: Jane Doe <{EMAIL}>\r\n\r\nHello".encode(),
    )
    lead_unsubscribe(lead=lead, source=f"reply from {EMAIL}")
    return lead


def test_an_erased_person_appears_nowhere_in_any_table_or_file(jane, personas, api_client_for):
    assert database_hits(EMAIL) and file_hits(EMAIL)  # the set-up really spread the address around
    lead_ids = sorted(Lead.objects.filter(email_key__in=[EMAIL, ALIAS]).values_list("pk", flat=True))

    response = api_client_for(personas.root).post(
        "/api/v1/privacy/erase",
        data=json.dumps({"email": EMAIL.title(), "reason": "GDPR art. 17 request"}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert database_hits(EMAIL) == []
    assert database_hits(ALIAS) == []
    assert file_hits(EMAIL) == []
    body = response.json()
    assert sorted(body["lead_ids"]) == lead_ids
    assert body["counts"]["leads.Lead"] == 2
    assert body["counts"]["sla.Touch"] == 1 and body["counts"]["campaigns.Touchpoint"] >= 2
    assert {f["kind"] for f in body["files"]} == {"import source", "import errors"}


def test_erasure_deletes_every_row_about_the_person_and_keeps_deals_with_a_stand_in(jane, personas):
    ids = [jane.pk, *Lead.objects.filter(merged_into=jane).values_list("pk", flat=True)]
    deal = Deal.objects.get(contact=jane)

    record = privacy_erase(email=EMAIL, actor=personas.root, reason="request by email")

    assert not Lead.objects.filter(pk__in=ids).exists()
    for model in (Touch, SlaClock, LeadRouting, PossibleDuplicate):
        assert not model.objects.filter(lead_id__in=ids).exists(), model
    assert not Notification.objects.filter(lead_id__in=ids).exists()
    assert not Notification.objects.filter(subject="Call Jane").exists()  # SET_NULL would have kept it
    assert not IdempotencyRecord.objects.filter(key="jane-1").exists()
    assert not MailInMessage.objects.filter(from_address=EMAIL).exists()
    deal.refresh_from_db()
    assert deal.contact.email_key == ERASED_CONTACT_EMAIL and "Jane Doe" not in deal.name
    assert deal.amount == 5000  # revenue history stays
    # Ken, in the same file and the same duplicate pair, is untouched apart from the mention of Jane.
    ken = Lead.objects.get(email_key=OTHER)
    assert ken.first_name == "Ken"
    assert record.email_hash == email_hash(EMAIL) and EMAIL not in json.dumps(record.counts)
    assert record.actor == personas.root and record.reason == "request by email"


def test_events_stay_with_their_payloads_redacted(jane, personas):
    events = list(
        Event.objects.filter(subject_type="lead", subject_id=jane.pk).values_list("pk", "type", "stage")
    )
    assert events

    privacy_erase(lead_id=jane.pk, actor=personas.root, reason="request")

    for pk, type_, stage in events:
        event = Event.objects.get(pk=pk)
        assert event.payload == {"redacted": True, "type": type_}
        assert event.stage == stage  # the funnel reports still count the stage moves
    assert Event.objects.filter(type="privacy.erased").exists()


def test_import_files_keep_their_row_numbers_and_lose_the_persons_rows(jane, personas, settings):
    job = ImportJob.objects.get()
    privacy_erase(email=EMAIL, actor=personas.root, reason="request")
    source = (settings.MEDIA_ROOT / job.file.name).read_text(encoding="utf-8-sig").splitlines()
    assert source[0].startswith("Email,") and len(source) == 4
    assert source[1] == ",,,,," and source[2] == ",,,,,"
    assert source[3] == f"{OTHER},Ken,Roe,Acme Health,500,colleague of [erased]"
    errors = (settings.MEDIA_ROOT / job.error_file.name).read_text(encoding="utf-8-sig")
    assert EMAIL not in errors.lower()


def test_an_address_that_merely_contains_the_erased_one_is_left_alone(personas):
    lead_make(EMAIL)
    longer = lead_make("x" + EMAIL, first_name="Xena")
    privacy_erase(email=EMAIL, actor=personas.root, reason="request")
    longer.refresh_from_db()
    assert longer.email == "x" + EMAIL and longer.first_name == "Xena"
    payloads = Event.objects.filter(subject_type="lead", subject_id=longer.pk).values_list(
        "payload", flat=True
    )
    assert payloads and not any(p.get("redacted") for p in payloads)


def test_only_admins_may_erase_and_a_reason_is_required(personas):
    lead = lead_make(EMAIL)
    with pytest.raises(AccessDenied):
        privacy_erase(email=EMAIL, actor=personas.mona, reason="because")
    with pytest.raises(ApplicationError):
        privacy_erase(email=EMAIL, actor=personas.root, reason="  ")
    with pytest.raises(NotFound):
        privacy_erase(lead_id=lead.pk + 999, actor=personas.root, reason="request")
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_an_erasure_record_never_holds_the_email(jane, personas):
    privacy_erase(email=EMAIL, actor=personas.root, reason="request")
    record = ErasureRecord.objects.get()
    text = json.dumps([record.email_hash, record.counts, record.files, record.reason, record.lead_ids])
    assert EMAIL not in text.lower()


def test_a_trashed_lead_can_still_be_erased(personas):
    lead = lead_make(EMAIL)
    lead_delete(lead=lead, actor=personas.alice)
    privacy_erase(email=EMAIL, actor=personas.root, reason="request")
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_the_erase_api_refuses_non_admins(personas, api_client_for):
    lead_make(EMAIL)
    response = api_client_for(personas.alice).post(
        "/api/v1/privacy/erase",
        data=json.dumps({"email": EMAIL, "reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Lead.objects.filter(email_key=EMAIL).exists()


def test_the_privacy_page_erases_after_typed_confirmation(personas, client_for):
    lead_make(EMAIL)
    client = client_for(personas.root)
    refused = client.post("/privacy/", {"email": EMAIL, "reason": "request", "confirm": "yes"})
    assert refused.status_code == 400 and Lead.objects.filter(email_key=EMAIL).exists()
    done = client.post("/privacy/", {"email": EMAIL, "reason": "request", "confirm": "ERASE"})
    assert done.status_code == 302
    assert not Lead.objects.filter(email_key=EMAIL).exists()
    page = client.get("/privacy/").content.decode()
    assert "request" in page and EMAIL not in page


def test_channel_is_recorded(personas):
    lead_make(EMAIL)
    record = privacy_erase(email=EMAIL, actor=personas.root, reason="r", channel=Channel.API)
    assert Event.objects.get(type="privacy.erased", subject_id=record.pk).channel == Channel.API
