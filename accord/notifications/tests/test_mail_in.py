"""Email capture: mail BCC'd or forwarded to a user's mail-in address is logged as a touch on the lead;
what cannot be logged is reported back; a real aiosmtpd server refuses unknown addresses."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from django.core import mail

from accord.leads.models import Lead, Stage
from accord.notifications.mail_in import (
    mail_in_address_for,
    mail_in_controller,
    mail_in_process,
    mail_parse,
)
from accord.notifications.models import MailInMessage, MailInStatus, Notification, NotificationKind
from accord.sla.models import Touch


def _lead(email: str, *, owner=None, **fields) -> Lead:
    return Lead.objects.create(
        email=email,
        email_key=email.lower(),
        first_name="Pat",
        last_name="Lee",
        stage=Stage.SAL,
        owner=owner,
        **fields,
    )


def _message(
    *,
    sender: str,
    to: str,
    subject: str = "Pricing for 40 beds",
    body: str = "Hi Pat,\n\nAs promised, the figures.\n\nBob",
    cc: str = "",
    message_id: str = "<m1@example.com>",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = "Mon, 23 Nov 2026 09:30:00 +0000"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def pat(personas):
    return _lead("pat.lee@stmarys.example", owner=personas.bob)


def test_a_bcc_logs_an_email_touch_on_the_lead_in_to_with_subject_and_first_lines(personas, pat):
    address = mail_in_address_for(user=personas.bob)
    raw = _message(sender="Bob <bob@example.com>", to="Pat Lee <Pat.Lee@stmarys.example>")
    result = mail_in_process(raw=raw, recipients=[address])
    assert result.status == MailInStatus.LOGGED
    (touch,) = Touch.objects.filter(lead=pat)
    assert (touch.kind, touch.channel, touch.user) == ("email", "email", personas.bob)
    assert touch.note.startswith("Pricing for 40 beds\n\nHi Pat,\nAs promised, the figures.")
    assert touch.occurred_at.isoformat() == "2026-11-23T09:30:00+00:00"
    assert MailInMessage.objects.get().raw is None  # logged: nothing to keep


def test_cc_recipients_are_matched_too_and_my_own_addresses_are_ignored(personas, pat):
    sam = _lead("sam@stmarys.example", owner=personas.bob)
    address = mail_in_address_for(user=personas.bob)
    raw = _message(
        sender="bob@example.com", to="pat.lee@stmarys.example", cc=f"sam@stmarys.example, {address}"
    )
    result = mail_in_process(raw=raw, recipients=[address])
    assert sorted(result.outcomes[0].lead_ids) == sorted([pat.pk, sam.pk])


def test_a_forwarded_email_is_logged_on_the_original_sender_found_in_the_forwarded_block(personas, pat):
    body = (
        "FYI, she wants a call.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Pat Lee <pat.lee@stmarys.example>\n"
        "Date: Sun, 22 Nov 2026 at 18:02\n"
        "Subject: Question about beds\n"
        "To: Bob <bob@example.com>\n\n"
        "Can you call me Monday?\n"
    )
    raw = _message(
        sender="bob@example.com",
        to=mail_in_address_for(user=personas.bob),
        subject="Fwd: Question",
        body=body,
    )
    result = mail_in_process(raw=raw, recipients=[mail_in_address_for(user=personas.bob)])
    assert result.outcomes[0].direction == "forwarded"
    (touch,) = Touch.objects.filter(lead=pat)
    assert touch.note == "Fwd: Question\n\nFYI, she wants a call.\nCan you call me Monday?"


def test_an_outlook_style_forward_and_an_attached_message_are_understood(personas, pat):
    outlook = (
        "See below\r\n\r\n-----Original Message-----\r\nFrom: Lee, Pat [mailto:pat.lee@stmarys.example]\r\n"
        "Sent: Sunday, November 22, 2026 6:02 PM\r\nTo: Bob\r\nSubject: beds\r\n\r\nCall me\r\n"
    )
    assert mail_parse(
        _message(sender="bob@example.com", to="x@y.example", body=outlook)
    ).forwarded.from_address == ("pat.lee@stmarys.example")
    inner = EmailMessage()
    inner["From"] = "Pat Lee <pat.lee@stmarys.example>"
    inner["To"] = "bob@example.com"
    inner["Subject"] = "beds"
    inner.set_content("Call me")
    outer = EmailMessage()
    outer["From"] = "bob@example.com"
    outer["To"] = "me@elsewhere.example"
    outer["Subject"] = "Fwd: beds"
    outer.set_content("")
    outer.add_attachment(inner)
    parsed = mail_parse(outer.as_bytes())
    assert parsed.forwarded.from_address == "pat.lee@stmarys.example"


def test_mail_to_a_merged_lead_is_logged_on_the_lead_it_was_merged_into(personas, pat):
    _lead("p.lee@stmarys.example", owner=personas.bob, merged_into=pat)
    address = mail_in_address_for(user=personas.bob)
    mail_in_process(raw=_message(sender="bob@example.com", to="p.lee@stmarys.example"), recipients=[address])
    assert Touch.objects.filter(lead=pat).count() == 1


def test_unmatched_mail_is_kept_and_reported_in_the_inbox_and_by_a_reply(
    personas, pat, django_capture_on_commit_callbacks
):
    address = mail_in_address_for(user=personas.bob)
    raw = _message(sender="bob@example.com", to="stranger@nowhere.example", subject="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        result = mail_in_process(raw=raw, recipients=[address])
    assert result.status == MailInStatus.UNMATCHED and not Touch.objects.exists()
    stored = MailInMessage.objects.get()
    assert bytes(stored.raw) == raw and "stranger@nowhere.example" in stored.detail
    note = Notification.objects.get(user=personas.bob)
    assert note.kind == NotificationKind.MAIL_IN_REPORT and note.subject == "Not logged: Hello"
    assert (
        "no lead has the address stranger@nowhere.example" in note.body and "add them as a lead" in note.body
    )
    (reply,) = mail.outbox  # the reply, not a second copy of the notification
    assert reply.to == ["bob@example.com"] and reply.subject == "Re: Hello"
    assert reply.extra_headers["In-Reply-To"] == "<m1@example.com>"


def test_mail_about_a_colleagues_lead_is_reported_not_logged(personas):
    _lead("lou@clinic.example", owner=personas.carol)
    address = mail_in_address_for(user=personas.bob)
    result = mail_in_process(
        raw=_message(sender="bob@example.com", to="lou@clinic.example"), recipients=[address]
    )
    assert result.status == MailInStatus.NOT_LOGGED and not Touch.objects.exists()
    assert "Only the lead's owner" in Notification.objects.get(user=personas.bob).body


def test_mail_about_a_lead_outside_ones_scope_does_not_name_it(personas):
    _lead("olga@bank.example", owner=personas.charlie)
    address = mail_in_address_for(user=personas.bob)
    result = mail_in_process(
        raw=_message(sender="bob@example.com", to="olga@bank.example"), recipients=[address]
    )
    assert result.status == MailInStatus.UNMATCHED and not Touch.objects.exists()
    body = Notification.objects.get(user=personas.bob).body
    assert "no lead has the address olga@bank.example" in body and "Pat Lee" not in body


def test_the_same_message_twice_is_logged_once(personas, pat):
    address = mail_in_address_for(user=personas.bob)
    raw = _message(sender="bob@example.com", to="pat.lee@stmarys.example")
    mail_in_process(raw=raw, recipients=[address])
    assert mail_in_process(raw=raw, recipients=[address]).status == MailInStatus.DUPLICATE
    assert Touch.objects.count() == 1


def test_malformed_bytes_are_reported_without_a_crash(personas):
    address = mail_in_address_for(user=personas.bob)
    result = mail_in_process(raw=b"\x00\xff\xfe garbage without headers", recipients=[address])
    assert result.status == MailInStatus.MALFORMED
    assert "could not be read" in Notification.objects.get(user=personas.bob).body
    assert MailInMessage.objects.get().status == MailInStatus.MALFORMED


def test_the_api_tells_me_my_mail_in_address(personas, api_client_for):
    body = api_client_for(personas.bob).get("/api/v1/me").json()
    assert body["mail_in_address"] == mail_in_address_for(user=personas.bob)
    assert body["mail_in_address"].endswith("@mail.accord.local")
    assert mail_in_address_for(user=personas.carol) != body["mail_in_address"]


# --- over real SMTP ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mail_in_server(settings) -> Iterator[int]:
    """The mail-in handler served by aiosmtpd on a free port; yields the port."""
    settings.ACCORD_MAILIN_MAX_BYTES = 64 * 1024
    port = _free_port()
    controller = mail_in_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _send(port: int, sender: str, recipients: list[str], raw: bytes) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(sender, recipients, raw)


@pytest.mark.django_db(transaction=True)
def test_over_smtp_a_bccd_mail_is_logged_as_a_touch_on_the_right_lead(personas, mail_in_server):
    pat = _lead("pat.lee@stmarys.example", owner=personas.bob)
    _lead("other@stmarys.example", owner=personas.bob)
    address = mail_in_address_for(user=personas.bob)
    raw = _message(sender="bob@example.com", to="pat.lee@stmarys.example")
    assert _send(mail_in_server, "bob@example.com", [address], raw) == {}
    (touch,) = Touch.objects.all()
    assert touch.lead_id == pat.pk and touch.user_id == personas.bob.pk


@pytest.mark.django_db(transaction=True)
def test_over_smtp_malformed_mail_is_accepted_and_reported(personas, mail_in_server):
    address = mail_in_address_for(user=personas.bob)
    assert _send(mail_in_server, "bob@example.com", [address], b"\xff\xfe\x00 not an email\r\n") == {}
    assert MailInMessage.objects.get().status == MailInStatus.MALFORMED
    assert Notification.objects.filter(user=personas.bob, kind=NotificationKind.MAIL_IN_REPORT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_over_smtp_an_unknown_address_is_refused_with_550(personas, mail_in_server):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(mail_in_server, "bob@example.com", ["nobody123@mail.accord.local"], b"Subject: x\r\n\r\nhi\r\n")
    code, message = refused.value.recipients["nobody123@mail.accord.local"]
    assert code == 550 and b"no such Accord mail-in address" in message
    with pytest.raises(smtplib.SMTPRecipientsRefused) as elsewhere:
        _send(mail_in_server, "bob@example.com", ["pat@stmarys.example"], b"Subject: x\r\n\r\nhi\r\n")
    assert elsewhere.value.recipients["pat@stmarys.example"][0] == 550


@pytest.mark.django_db(transaction=True)
def test_over_smtp_a_message_above_the_size_limit_is_refused(personas, mail_in_server):
    address = mail_in_address_for(user=personas.bob)
    raw = _message(sender="bob@example.com", to="pat.lee@stmarys.example", body="x" * (100 * 1024))
    with pytest.raises(smtplib.SMTPException) as refused:
        _send(mail_in_server, "bob@example.com", [address], raw)
    assert refused.value.smtp_code == 552
    assert not MailInMessage.objects.exists()


def _nested_message(depth: int, *, kind: str = "multipart") -> bytes:
    head = tail = ""
    for level in range(depth - 1):
        if kind == "multipart":
            head += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
            tail = f"\r\n--b{level}--\r\n" + tail
        else:
            head += "Content-Type: message/rfc822\r\n\r\nFrom: pat.lee@stmarys.example\r\n"
    top = "From: Pat Lee <pat.lee@stmarys.example>\r\nTo: bob@example.com\r\nSubject: Beds\r\nMIME-Version: 1.0\r\n"
    return (top + head + "Content-Type: text/plain\r\n\r\nhello" + tail).encode()


@pytest.mark.parametrize("kind", ["multipart", "message"])
def test_mail_nested_deeper_than_the_limit_is_reported_as_unreadable(personas, pat, kind):
    address = mail_in_address_for(user=personas.bob)
    result = mail_in_process(raw=_nested_message(20, kind=kind), recipients=[address])
    assert result.status == MailInStatus.MALFORMED
    assert "nested 20 levels deep, more than the 16" in result.outcomes[0].problems[0]
    assert not Touch.objects.exists()


def test_mail_nested_a_thousand_deep_is_refused_before_it_is_parsed(personas):
    result = mail_in_process(raw=_nested_message(1000), recipients=[mail_in_address_for(user=personas.bob)])
    assert result.status == MailInStatus.MALFORMED
    assert "999 multipart or attached-message parts" in result.outcomes[0].problems[0]


def test_mail_nested_within_the_limit_is_logged(personas, pat):
    raw = _nested_message(10)
    assert mail_parse(raw).from_address == "pat.lee@stmarys.example"


def test_mail_larger_than_the_limit_is_reported_even_when_it_did_not_come_over_smtp(personas, settings):
    settings.ACCORD_MAILIN_MAX_BYTES = 2048
    raw = _message(sender="bob@example.com", to="pat.lee@stmarys.example", body="x" * 5000)
    result = mail_in_process(raw=raw, recipients=[mail_in_address_for(user=personas.bob)])
    assert result.status == MailInStatus.MALFORMED
    assert "more than the 2048 accepted" in result.outcomes[0].problems[0]
