"""Email capture (X5): mail BCC'd or forwarded to a user's mail-in address becomes a touch on the lead.

Each user has an address ``<token>@<ACCORD_MAILIN_DOMAIN>`` (``MailInAddress``). ``accord mail-in``
runs an SMTP server (aiosmtpd) with ``MailInHandler``: unknown addresses are refused at RCPT time
with a 550; accepted messages go to ``mail_in_process``, which does the work without any SMTP:

- **Which way the mail went.** From the user (one of their addresses) and carrying a forwarded
  message (an attached message/rfc822 part, or a "Forwarded message" / "Original Message" block):
  *forwarded*, the other party is the original sender (or, when the user forwarded their own sent
  mail, its original recipients). From the user otherwise: *sent* (BCC'd), the other parties are the
  To and Cc addresses. From anyone else (a redirect or an automatic forward): *received*, the other
  party is the sender.
- **Which lead.** Each other party's address is matched on ``Lead.email_key``; a merged lead leads
  to the lead it was merged into.
- **What is logged.** A touch (kind 'email', channel 'email') by the user on each matched lead, with
  the subject and the first lines as its note, at the message's Date.

Nothing is dropped: every message leaves a ``MailInMessage`` row (with the raw message when nothing
was logged), and a message that matched no lead, could not be logged or could not be read is
reported back to the user, in their inbox and by a reply email that says how to fix it. A message
already logged (same Message-ID, same user) is not logged twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage as OutgoingEmail
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from accord.core.env import env_int, env_str
from accord.core.errors import ApplicationError
from accord.core.models import Channel
from accord.notifications.models import MailInAddress, MailInMessage, MailInStatus, NotificationKind
from accord.people.access import leads_visible_to
from accord.people.models import User

logger = logging.getLogger(__name__)

# Defaults read from the environment; settings.ACCORD_MAILIN_* win when config/settings.py sets them.
MAILIN_DOMAIN = env_str("ACCORD_MAILIN_DOMAIN", "mail.accord.local")
MAILIN_HOST = env_str("ACCORD_MAILIN_HOST", "127.0.0.1")
MAILIN_PORT = env_int("ACCORD_MAILIN_PORT", 2525, minimum=1, maximum=65535)
MAILIN_MAX_BYTES = env_int("ACCORD_MAILIN_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
MAILIN_MAX_MIME_DEPTH = env_int("ACCORD_MAILIN_MAX_MIME_DEPTH", 16, minimum=2, maximum=100)

NOTE_LINES = 5
NOTE_MAX_CHARS = 1000
_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# The line that opens a forwarded block in the body, as Gmail, Outlook, Apple Mail and Thunderbird write it.
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|original message)\s*-{2,}|begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_FORWARD_HEADER = re.compile(
    r"^\s*>?\s*\**(from|to|cc|sent|date|subject)\**\s*:\s*\**\s*(.*)$", re.IGNORECASE
)


def mail_in_domain() -> str:
    return str(getattr(settings, "ACCORD_MAILIN_DOMAIN", MAILIN_DOMAIN)).strip().lower()


def mail_in_host() -> str:
    return str(getattr(settings, "ACCORD_MAILIN_HOST", MAILIN_HOST))


def mail_in_port() -> int:
    return int(getattr(settings, "ACCORD_MAILIN_PORT", MAILIN_PORT))


def mail_in_max_bytes() -> int:
    return int(getattr(settings, "ACCORD_MAILIN_MAX_BYTES", MAILIN_MAX_BYTES))


def mail_in_max_mime_depth() -> int:
    return int(getattr(settings, "ACCORD_MAILIN_MAX_MIME_DEPTH", MAILIN_MAX_MIME_DEPTH))


# A multipart or attached-message part opens one more level. Counting their headers before parsing
# bounds the work: the stdlib parser's time grows fast with nesting (seconds at a few hundred levels)
# and it recurses past Python's limit beyond that.
_CONTAINER_HEADER = re.compile(rb"(?im)^content-type:[ \t]*(?:multipart/|message/)")


def _mime_depth(message: Any) -> int:
    """How deeply parts nest in a parsed message (1 for a single-part one), without recursion."""
    deepest, stack = 0, [(message, 1)]
    while stack:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        if part.is_multipart():
            stack.extend((child, depth + 1) for child in part.get_payload() or [])
    return deepest


# --- addresses -------------------------------------------------------------------------------------


def mail_in_address_get_or_create(*, user: User) -> MailInAddress:
    """The user's mail-in address row, made the first time it is asked for."""
    found = MailInAddress.objects.filter(user=user).first()
    if found is not None:
        return found
    address, _ = MailInAddress.objects.get_or_create(user=user)
    return address


def mail_in_address_for(*, user: User) -> str:
    """The user's personal mail-in address, ``<token>@<domain>``."""
    return f"{mail_in_address_get_or_create(user=user).token}@{mail_in_domain()}"


def mail_in_user_for(address: str) -> Any | None:
    """The active user an address on the mail-in domain belongs to, else None."""
    local, _, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    if not local or domain != mail_in_domain():
        return None
    found = MailInAddress.objects.select_related("user").filter(token=local, user__is_active=True).first()
    return found.user if found else None


# --- parsing ---------------------------------------------------------------------------------------


class MalformedMail(Exception):
    """The message could not be read well enough to find who it was from and to."""


@dataclass
class ForwardedHeaders:
    from_address: str
    to: list[str]
    cc: list[str]
    subject: str


@dataclass
class ParsedMail:
    subject: str
    from_address: str
    to: list[str]
    cc: list[str]
    date: datetime | None
    message_id: str
    text: str
    forwarded: ForwardedHeaders | None


def _addresses(values: list[str]) -> list[str]:
    found: list[str] = []
    for _name, address in getaddresses([v for v in values if v]):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _emails_in(text: str) -> list[str]:
    found: list[str] = []
    for match in _EMAIL_RE.findall(text or ""):
        address = match.lower().rstrip(".")
        if address not in found:
            found.append(address)
    return found


def _header(message: Any, name: str) -> str:
    try:
        values = message.get_all(name) or []
        return ", ".join(str(v) for v in values)
    except Exception:  # a header the parser cannot decode is treated as absent
        return ""


def _body_text(message: EmailMessage) -> str:
    """The readable text of a message: its text/plain part, else its HTML without the tags."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except Exception:
        return ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = strip_tags(re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content))
    return content.replace("\r\n", "\n")


def _attached_message(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            try:
                inner = part.get_content()
            except Exception:
                continue
            if isinstance(inner, EmailMessage):
                return inner
    return None


def _forwarded_block(text: str) -> ForwardedHeaders | None:
    """The headers of a message forwarded inline, read from the block under the forward marker."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not _FORWARD_MARKER.match(line):
            continue
        headers: dict[str, str] = {}
        for following in lines[index + 1 : index + 15]:
            if not following.strip():
                if headers:
                    break
                continue
            match = _FORWARD_HEADER.match(following)
            if match is None:
                if headers:
                    break
                continue
            headers.setdefault(match.group(1).lower(), match.group(2).strip())
        senders = _emails_in(headers.get("from", ""))
        if senders:
            return ForwardedHeaders(
                from_address=senders[0],
                to=_emails_in(headers.get("to", "")),
                cc=_emails_in(headers.get("cc", "")),
                subject=headers.get("subject", ""),
            )
    return None


def mail_parse(raw: bytes) -> ParsedMail:
    """Read what mail-in needs from a raw message, or raise MalformedMail saying what is missing."""
    if not raw or not raw.strip():
        raise MalformedMail("the message was empty")
    max_bytes, max_depth = mail_in_max_bytes(), mail_in_max_mime_depth()
    if len(raw) > max_bytes:
        raise MalformedMail(
            f"it is {len(raw)} bytes, more than the {max_bytes} accepted; send it without large attachments"
        )
    containers = len(_CONTAINER_HEADER.findall(raw))
    if containers > 8 * max_depth:
        raise MalformedMail(
            f"it holds {containers} multipart or attached-message parts, more than the {8 * max_depth} "
            "accepted; forward the message on its own, not as an attachment of an attachment"
        )
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        depth = _mime_depth(message)
    except Exception as exc:  # the stdlib parser is lenient; this is for the truly unreadable
        raise MalformedMail(f"it could not be parsed as an email ({exc.__class__.__name__})") from None
    assert isinstance(message, EmailMessage)
    if depth > max_depth:
        raise MalformedMail(
            f"its parts are nested {depth} levels deep, more than the {max_depth} accepted; forward the "
            "message on its own, not as an attachment of an attachment"
        )
    senders = _addresses([_header(message, "From")]) or _emails_in(_header(message, "From"))
    if not senders:
        raise MalformedMail("it has no readable From address")
    text = _body_text(message)
    inner = _attached_message(message)
    forwarded = None
    if inner is not None:
        inner_from = _addresses([_header(inner, "From")]) or _emails_in(_header(inner, "From"))
        if inner_from:
            forwarded = ForwardedHeaders(
                from_address=inner_from[0],
                to=_addresses([_header(inner, "To")]),
                cc=_addresses([_header(inner, "Cc")]),
                subject=_header(inner, "Subject"),
            )
            if not text.strip():
                text = _body_text(inner)
    if forwarded is None:
        forwarded = _forwarded_block(text)
    date = None
    try:
        date_header = _header(message, "Date")
        date = parsedate_to_datetime(date_header) if date_header else None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        date = None
    return ParsedMail(
        subject=" ".join(_header(message, "Subject").split())[:255],
        from_address=senders[0],
        to=_addresses([_header(message, "To")]),
        cc=_addresses([_header(message, "Cc")]),
        date=date,
        message_id=_header(message, "Message-ID").strip()[:255],
        text=text,
        forwarded=forwarded,
    )


def _note_lines(text: str) -> list[str]:
    """The first lines a person wrote: no quoted lines, no forward markers or forwarded headers."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(">") or _FORWARD_MARKER.match(stripped):
            continue
        if _FORWARD_HEADER.match(stripped):
            continue
        if stripped == "--":  # signature separator: the rest is not what was said
            break
        lines.append(stripped)
        if len(lines) == NOTE_LINES:
            break
    return lines


def mail_note(parsed: ParsedMail) -> str:
    """The touch note: the subject, then the first lines of the message."""
    subject = parsed.subject or "(no subject)"
    lines = _note_lines(parsed.text)
    note = subject + ("\n\n" + "\n".join(lines) if lines else "")
    return note[:NOTE_MAX_CHARS]


# --- processing ------------------------------------------------------------------------------------


@dataclass
class MailInOutcome:
    """What one message did for one mail-in user."""

    user_id: int
    status: str
    direction: str = ""
    others: list[str] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    touch_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    message_id: int | None = None  # the MailInMessage row


@dataclass
class MailInResult:
    """What ``mail_in_process`` did with one message, per mail-in recipient."""

    outcomes: list[MailInOutcome] = field(default_factory=list)
    unknown_recipients: list[str] = field(default_factory=list)

    @property
    def touch_ids(self) -> list[int]:
        return [t for o in self.outcomes for t in o.touch_ids]

    @property
    def logged(self) -> bool:
        return bool(self.touch_ids)

    @property
    def status(self) -> str:
        if not self.outcomes:
            return "no_recipient"
        statuses = {o.status for o in self.outcomes}
        return statuses.pop() if len(statuses) == 1 else "mixed"


def lead_for_email(address: str) -> Any | None:
    """The lead an email address belongs to, following merges to the surviving lead."""
    from accord.leads.models import Lead

    lead = Lead.objects.filter(email_key=address.strip().lower()).first()
    hops = 0
    while lead is not None and lead.merged_into_id is not None and hops < 20:
        lead = Lead.objects.filter(pk=lead.merged_into_id).first()
        hops += 1
    return lead


def _other_parties(parsed: ParsedMail, user: User) -> tuple[str, list[str]]:
    mine = {user.email.strip().lower()} if user.email else set()
    domain = mail_in_domain()

    def keep(addresses: list[str]) -> list[str]:
        return [a for a in addresses if a not in mine and not a.endswith("@" + domain)]

    if parsed.from_address in mine:
        if parsed.forwarded is not None:
            if parsed.forwarded.from_address in mine:
                return "forwarded", keep(parsed.forwarded.to + parsed.forwarded.cc)
            return "forwarded", keep([parsed.forwarded.from_address])
        return "sent", keep(parsed.to + parsed.cc)
    return "received", keep([parsed.from_address])


def _process_for_user(*, parsed: ParsedMail, user: User, raw: bytes) -> MailInOutcome:
    from accord.sla.models import TouchKind
    from accord.sla.services import touch_log

    direction, others = _other_parties(parsed, user)
    outcome = MailInOutcome(
        user_id=user.pk, status=MailInStatus.UNMATCHED, direction=direction, others=others
    )
    if (
        parsed.message_id
        and MailInMessage.objects.filter(
            user=user, message_id=parsed.message_id, status=MailInStatus.LOGGED
        ).exists()
    ):
        return _duplicate(user, parsed)
    now = timezone.now()
    at = min(parsed.date, now) if parsed.date else now
    if at < now - timedelta(days=365):
        at = now  # a Date header years off is a broken clock, not history
    note = mail_note(parsed)
    visible = leads_visible_to(user)
    for address in others:
        lead = lead_for_email(address)
        if lead is None or not visible.filter(pk=lead.pk).exists():
            continue  # a lead outside what the user sees does not exist for them (nor is it named)
        if lead.pk in outcome.lead_ids:
            continue
        try:
            with transaction.atomic():
                touch = touch_log(
                    lead=lead,
                    user=user,
                    kind=TouchKind.EMAIL,
                    note=note,
                    channel=Channel.EMAIL,
                    occurred_at=at,
                )
        except ApplicationError as exc:
            outcome.problems.append(f"{address} is lead {lead} but the touch was not logged: {exc.message}")
            continue
        outcome.lead_ids.append(lead.pk)
        outcome.touch_ids.append(touch.pk)
    if outcome.touch_ids:
        outcome.status = MailInStatus.LOGGED
    elif outcome.problems:
        outcome.status = MailInStatus.NOT_LOGGED
    elif not others:
        outcome.problems.append(
            "no other party was found in it" + (" (it was sent only to you)" if direction == "sent" else "")
        )
    else:
        outcome.problems.append(f"no lead has the address {', '.join(others)}")
    return outcome


_HOW_TO_FIX = (
    "How to fix it:\n"
    "- BCC your mail-in address when you write to a lead, so the lead's address is in To or Cc.\n"
    "- To log mail a lead sent you, forward it (as an attachment or inline, keeping the\n"
    "  'From:' line of the forwarded message) to your mail-in address.\n"
    "- Send from the address Accord knows for you ({email}).\n"
    "- If the person is not in Accord yet, add them as a lead, then forward the message again.\n"
    "Your mail-in address is {address}."
)


def _report(*, user: User, outcome: MailInOutcome, subject: str, original_message_id: str) -> None:
    """Tell the user, in their inbox and by a reply email, why a message was not logged."""
    from accord.notifications.services import notify

    what = {
        MailInStatus.UNMATCHED: "did not match any lead",
        MailInStatus.NOT_LOGGED: "matched a lead but could not be logged",
        MailInStatus.MALFORMED: "could not be read",
    }.get(outcome.status, "was not logged")
    title = f"Not logged: {subject or '(no subject)'}"
    body = (
        f"The email '{subject or '(no subject)'}' you sent to your Accord mail-in address {what}:\n"
        + "".join(f"- {p}\n" for p in outcome.problems)
        + "\nAccord kept the message; nothing was lost.\n\n"
        + _HOW_TO_FIX.format(
            email=user.email or "none: ask an admin to set it", address=mail_in_address_for(user=user)
        )
    )
    notify(
        user=user,
        kind=NotificationKind.MAIL_IN_REPORT,
        subject=title,
        body=body,
        url="/notifications/",
        already_emailed=bool(user.email),
    )
    if user.email:
        headers = (
            {"In-Reply-To": original_message_id, "References": original_message_id}
            if original_message_id
            else {}
        )
        reply = OutgoingEmail(
            subject=f"Re: {subject}" if subject else "Your email to Accord was not logged",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers=headers,
        )
        transaction.on_commit(partial(reply.send, fail_silently=False), robust=True)


def _record(*, user: User, parsed: ParsedMail | None, outcome: MailInOutcome, raw: bytes) -> None:
    row = MailInMessage.objects.create(
        user=user,
        message_id=parsed.message_id if parsed else "",
        subject=(parsed.subject if parsed else "")[:255],
        from_address=(parsed.from_address if parsed else "")[:254],
        direction=outcome.direction,
        status=outcome.status,
        detail="\n".join(outcome.problems),
        lead_ids=outcome.lead_ids,
        raw=None if outcome.status in (MailInStatus.LOGGED, MailInStatus.DUPLICATE) else raw,
    )
    outcome.message_id = row.pk
    if outcome.status in (MailInStatus.UNMATCHED, MailInStatus.NOT_LOGGED, MailInStatus.MALFORMED):
        _report(
            user=user,
            outcome=outcome,
            subject=parsed.subject if parsed else "",
            original_message_id=parsed.message_id if parsed else "",
        )


def _duplicate(user: User, parsed: ParsedMail) -> MailInOutcome:
    return MailInOutcome(
        user_id=user.pk,
        status=MailInStatus.DUPLICATE,
        problems=["this message was logged before (same Message-ID)"],
    )


def mail_in_process(*, raw: bytes, recipients: list[str]) -> MailInResult:
    """Log one received message as touches for each mail-in user it was addressed to; report the rest.

    ``recipients`` are the SMTP envelope recipients (a BCC'd address appears only there). Addresses
    that are not mail-in addresses are listed in ``unknown_recipients`` and otherwise ignored.
    """
    result = MailInResult()
    users: list[Any] = []
    for address in recipients:
        user = mail_in_user_for(address)
        if user is None:
            result.unknown_recipients.append(address)
        elif all(u.pk != user.pk for u in users):
            users.append(user)
    if not users:
        logger.warning("mail-in: no known mail-in address among %s; message ignored", recipients)
        return result
    try:
        parsed: ParsedMail | None = mail_parse(raw)
        problem = ""
    except MalformedMail as exc:
        parsed, problem = None, f"it could not be read: {exc}"
    for user in users:
        try:
            # One transaction per user: the touches and the record of the message stand or fall together.
            with transaction.atomic():
                if parsed is None:
                    outcome = MailInOutcome(
                        user_id=user.pk, status=MailInStatus.MALFORMED, problems=[problem]
                    )
                else:
                    outcome = _process_for_user(parsed=parsed, user=user, raw=raw)
                _record(user=user, parsed=parsed, outcome=outcome, raw=raw)
        except IntegrityError:
            # The same message was logged by a concurrent delivery a moment ago.
            assert parsed is not None
            outcome = _duplicate(user, parsed)
            _record(user=user, parsed=parsed, outcome=outcome, raw=raw)
        result.outcomes.append(outcome)
    return result


# --- the SMTP server -------------------------------------------------------------------------------


class MailInHandler:
    """aiosmtpd handler: refuse unknown addresses at RCPT, hand each message to ``mail_in_process``.

    Database work runs in a worker thread (Django's ORM is synchronous); connections are closed
    after each message so a long-running server never holds a stale one.
    """

    def _in_thread(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, partial(self._in_thread, fn, *args, **kwargs))

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        domain = mail_in_domain()
        if not address.lower().endswith("@" + domain):
            return (
                f"550 5.1.2 <{address}>: this server only accepts mail for Accord mail-in addresses @{domain}"
            )
        user = await self._run(mail_in_user_for, address)
        if user is None:
            return (
                f"550 5.1.1 <{address}>: no such Accord mail-in address. Your own address is shown in "
                "Accord under Notifications > Preferences and in GET /api/v1/me (mail_in_address)."
            )
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            result = await self._run(mail_in_process, raw=raw, recipients=list(envelope.rcpt_tos))
        except Exception:
            # The sender's server keeps the message and tries again: a temporary failure loses nothing.
            logger.exception("mail-in: processing failed; asked the sender to retry")
            return "451 4.3.0 Accord could not process the message now; please try again later"
        if result.logged:
            return f"250 OK: logged {len(result.touch_ids)} touch(es)"
        return "250 OK: received; not logged, a report was sent to you"


def mail_in_controller(*, host: str | None = None, port: int | None = None) -> Any:
    """An aiosmtpd Controller serving the mail-in handler (call ``.start()`` / ``.stop()``)."""
    from aiosmtpd.controller import Controller

    return Controller(
        MailInHandler(),
        hostname=host or mail_in_host(),
        port=port or mail_in_port(),
        data_size_limit=mail_in_max_bytes(),
        server_hostname=mail_in_domain(),
    )
