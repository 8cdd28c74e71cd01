"""What SLA adds to the lead page (accord.leads.registry): the rep's actions (accept, log a touch, reject)
and notes with @mentions, and the timeline's words for SLA's events: who, which deadline, what was
logged, with names and labels instead of ids and codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import formats, timezone

from accord.leads.models import Lead, Stage
from accord.people.access import leads_actionable_by
from accord.people.models import User
from accord.sla.models import (
    ClockKind,
    Note,
    RejectionReason,
    SlaClock,
    SlaPolicy,
    Touch,
    TouchKind,
    TouchOutcome,
)
from accord.sla.services import ACCEPTED_STAGES, REJECTABLE_STAGES
from accord.sla.touch_answers import touch_answers_form_part


def lead_work_context(user: User, lead: Lead) -> dict[str, Any] | None:
    """The work panel: the running deadline, and the actions this person may take on this lead."""
    can_act = lead.owner_id is not None and leads_actionable_by(user, "act").filter(pk=lead.pk).exists()
    clock = (
        SlaClock.objects.open()
        .filter(lead=lead)
        .select_related("owner", "policy")
        .order_by("due_at", "id")
        .first()
    )
    now = timezone.now()
    return {
        "can_act": can_act,
        "can_accept": can_act and lead.stage not in ACCEPTED_STAGES and lead.stage != Stage.DISQUALIFIED,
        "can_reject": can_act and lead.stage in REJECTABLE_STAGES,
        "clock": clock,
        "clock_status": clock.status_at(now) if clock else "",
        "now": now,
        "touch_kinds": TouchKind.choices,
        "outcomes": [(v, label) for v, label in TouchOutcome.choices if v],
        "reasons": RejectionReason.choices,
        # Research questions answered with the touch, as in the inbox's Log form (none: empty).
        "touch_questions": touch_answers_form_part(user=user) if can_act else "",
    }


# --- the timeline ---------------------------------------------------------------------------------------

WHAT = {
    ClockKind.ACCEPT: "accept or reject the lead",
    ClockKind.FIRST_TOUCH: "make first contact",
    ClockKind.NEXT_TOUCH: "follow up",
}
STOP_REASONS = {
    "reassigned": "the lead went to someone else",
    "rejected": "the lead was rejected",
    "recycled": "the lead was recycled to another rep",
}
USER_KEYS = ("owner", "owner_id", "to", "from", "previous_owner", "manager")


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return ""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else "someone"


def prepare(events: list[Any]) -> dict[str, Any]:
    """The people, touches, notes and policies the events name, in four queries at most."""
    user_ids: set[int] = set()
    touch_ids: set[int] = set()
    note_ids: set[int] = set()
    policy_ids: set[int] = set()
    for event in events:
        payload = event.payload or {}
        for key in USER_KEYS:
            if isinstance(payload.get(key), int):
                user_ids.add(payload[key])
        user_ids.update(i for i in payload.get("mentioned") or [] if isinstance(i, int))
        if isinstance(payload.get("touch"), int):
            touch_ids.add(payload["touch"])
        if isinstance(payload.get("note"), int) and event.type == "lead.note_added":
            note_ids.add(payload["note"])
        if isinstance(payload.get("policy"), int):
            policy_ids.add(payload["policy"])
    return {
        "users": User.objects.in_bulk(user_ids) if user_ids else {},
        "touches": Touch.objects.in_bulk(touch_ids) if touch_ids else {},
        "notes": Note.objects.in_bulk(note_ids) if note_ids else {},
        "policies": dict(SlaPolicy.objects.filter(pk__in=policy_ids).values_list("pk", "name"))
        if policy_ids
        else {},
    }


def describe(event: Any, prepared: dict[str, Any]) -> tuple[str, list[str]]:
    """One SLA event in plain words."""
    payload = event.payload or {}
    users = prepared["users"]
    who = _name(event.actor) if event.actor_id else ""
    owner = _name(users.get(payload.get("owner")))
    what = WHAT.get(payload.get("kind", ""), "act on the lead")
    lines: list[str] = []
    kind = event.type
    if kind == "sla.clock_started":
        headline = f"Deadline set: {owner} to {what} by {_when(payload.get('due_at'))}"
        policy = prepared["policies"].get(payload.get("policy"))
        if policy:
            lines.append(f"Under the SLA policy {policy}")
    elif kind == "sla.clock_met":
        on_time = "on time" if payload.get("on_time") else "late"
        headline = f"{owner} met the deadline to {what}, {on_time}"
        if payload.get("business_hours") is not None:
            lines.append(f"After {payload['business_hours']:g} business hours")
    elif kind == "sla.clocks_stopped":
        count = len(payload.get("clocks") or [])
        because = STOP_REASONS.get(payload.get("reason", ""), "the lead's work changed")
        headline = f"{'Deadline' if count == 1 else 'Deadlines'} stopped: {because}"
    elif kind == "sla.reminder_sent":
        headline = f"Reminder sent to {owner}: {what} soon"
    elif kind == "sla.breached":
        headline = f"{owner} missed the deadline to {what}"
        if payload.get("due_at"):
            lines.append(f"It was due {_when(payload['due_at'])}")
        if payload.get("manager"):
            lines.append(f"{_name(users.get(payload['manager']))} was told")
    elif kind == "sla.escalated":
        headline = f"Missed deadline escalated to {_name(users.get(payload.get('to')))}"
        lines.append(f"Level {payload.get('level')} up {owner}'s chain of managers")
    elif kind == "lead.accepted":
        headline = f"Accepted by {who or owner}"
        if payload.get("on_time") is not None:
            lines.append("Within the deadline" if payload["on_time"] else "After the deadline")
    elif kind == "lead.rejected":
        headline = f"Rejected by {who or 'sales'}: {payload.get('reason_label') or 'no reason given'}"
        if payload.get("note"):
            lines.append(f"Note: {payload['note']}")
        lines.append(
            "Sent back to marketing to nurture"
            if payload.get("to_stage") == Stage.NURTURE
            else "Sent back to marketing"
        )
    elif kind == "lead.touched":
        touch = prepared["touches"].get(payload.get("touch"))
        label = TouchKind(payload["kind"]).label if payload.get("kind") in TouchKind.values else "Touch"
        headline = f"{label} logged by {who or 'the owner'}"
        outcome = payload.get("outcome") or (touch.outcome if touch else "")
        if outcome in TouchOutcome.values and outcome:
            lines.append(f"Outcome: {TouchOutcome(outcome).label}")
        if touch is not None and touch.note:
            if payload.get("kind") == TouchKind.EMAIL:
                subject, _, rest = touch.note.partition("\n")
                lines.append(f"Subject: {subject}")
                if rest.strip():
                    lines.append(rest.strip()[:500])
            else:
                lines.append(f"Note: {touch.note[:500]}")
    elif kind == "lead.recycled":
        headline = (
            f"Recycled from {_name(users.get(payload.get('from')))} to {_name(users.get(payload.get('to')))}"
        )
        lines.append("Because the deadline was missed and stayed open")
    elif kind == "lead.recycle_skipped":
        headline = "Not recycled: no other rep of the team was available"
    elif kind == "lead.note_added":
        note = prepared["notes"].get(payload.get("note"))
        headline = f"Note by {who or 'someone'}"
        if note is not None:
            lines.append(note.body)
        told = [_name(users.get(i)) for i in payload.get("mentioned") or [] if users.get(i)]
        if told:
            lines.append("Told: " + ", ".join(told))
    else:  # pragma: no cover - only registered types reach here
        headline = kind
    return headline, lines


STORY_TYPES = frozenset(
    {
        "sla.clock_started",
        "sla.clock_met",
        "sla.clocks_stopped",
        "sla.reminder_sent",
        "sla.breached",
        "sla.escalated",
        "lead.accepted",
        "lead.rejected",
        "lead.touched",
        "lead.recycled",
        "lead.recycle_skipped",
        "lead.note_added",
    }
)
