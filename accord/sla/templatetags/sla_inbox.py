"""``{% inbox_row %}``: one row of the rep inbox, drawn in Python.

A page of the inbox holds up to 80 rows (four sections of 20), each with its forms; drawn by the
template language each row cost about 2 ms, more than every query of the page together. This draws the
same HTML, byte for byte, as ``sla/_inbox_row.html`` did (that template keeps the row's other states and
calls this tag); the filters are Django's own (``date``, ``timesince``, ``timeuntil``).
"""

from __future__ import annotations

import html
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import is_aware, localtime

register = template.Library()


def _e(value: Any) -> str:
    """``conditional_escape``, without making a SafeString of every piece of a row."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


_labels: dict[tuple[type, str], dict[Any, Any]] = {}


def _display(obj: Any, name: str) -> str:
    """``obj.get_<name>_display()``: Django flattens the field's choices on every call, eighty rows
    times four fields a page; here once per field."""
    key = (type(obj), name)
    if key not in _labels:
        _labels[key] = dict(obj._meta.get_field(name).flatchoices)
    value = getattr(obj, name)
    return str(_labels[key].get(value, value))


def _date(value: Any, fmt: str) -> str:
    """What ``{{ value|date:fmt }}`` draws: the date filter reads an aware moment in the current zone."""
    return _e(date_filter(localtime(value) if is_aware(value) else value, fmt))


def _csrf(token: Any) -> str:
    """What ``{% csrf_token %}`` draws."""
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(token)}">'


@register.simple_tag(takes_context=True)
def inbox_row(context: template.Context) -> SafeString:
    row = context["row"]
    lead, clock = row.lead, row.clock
    pk, who = _e(lead.pk), _e(context.get("who", ""))
    csrf = _csrf(context.get("csrf_token"))
    out = [
        f'\n<tr id="inbox-lead-{pk}" class="inbox-row{" inbox-breached" if row.is_breached else ""}" '
        f'data-lead="{pk}" data-stage="{_e(lead.stage)}" tabindex="-1">\n'
        "  <td>\n"
        f'    <a href="{_e(row.open_url)}" data-action="open"><strong>{_e(lead.full_name or lead.email)}'
        "</strong></a>\n"
        f'    <div class="muted small">{_e(lead.company)}{" · " + _e(lead.title) if lead.title else ""}</div>\n'
        f'    <div class="muted small">score {_e(lead.score)}'
        f"{' · ' + _e(lead.utm_campaign) if lead.utm_campaign else ''}</div>\n"
        "  </td>\n"
    ]
    out.append(f"  <td>{_e(lead.owner or '—')}</td>" if context.get("show_owner") else "  ")
    out.append(
        "\n"
        f'  <td><span class="badge badge-{_e(lead.stage)} inbox-stage">{_e(_display(lead, "stage"))}</span></td>\n'
        '  <td class="inbox-deadline">\n'
        "    "
    )
    if clock:
        now = context.get("now")
        minutes = clock.policy.reminder_before_minutes
        due = (
            f"in {_e(timeuntil(clock.due_at))}"
            if now is not None and clock.due_at > now
            else f"overdue {_e(timesince(clock.due_at))}"
        )
        if row.status == "breached":
            badge = '<span class="badge badge-danger">Breached</span>\n      '
        elif row.status == "at_risk":
            badge = '<span class="badge badge-warning">At risk</span>\n      '
        else:
            badge = '<span class="badge badge-success">On time</span>'
        out.append(
            "\n"
            f'      <div class="small muted">{_e(_display(clock, "kind"))} by '
            f"{_date(clock.due_at, 'SHORT_DATETIME_FORMAT')}</div>\n"
            f'      <span class="countdown" data-due="{_date(clock.due_at, "c")}" '
            f'data-risk-seconds="{round(minutes / 1 * 60)}">{due}</span>\n'
            f"      {badge}\n"
            "    "
        )
    else:
        out.append('<span class="muted">No clock running</span>')
    out.append('\n  </td>\n  <td class="inbox-last-touch">\n    ')
    touch = row.last_touch
    if touch:
        outcome = f" ({_e(_display(touch, 'outcome').lower())})" if touch.outcome else ""
        out.append(
            f"{_e(_display(touch, 'kind'))}{outcome}\n"
            f'      <div class="muted small">{_e(timesince(touch.occurred_at))} ago</div>\n    '
        )
    else:
        out.append('<span class="muted">Not yet</span>')
    touch_url, attrs = _e(row.touch_url), 'hx-target="closest tr" hx-swap="outerHTML"'
    out.append('\n  </td>\n  <td>\n    <div class="inbox-actions">\n      ')
    if row.can_accept:
        accept_url = _e(row.accept_url)
        out.append(
            f'\n      <form method="post" action="{accept_url}?who={who}" hx-post="{accept_url}?who={who}" '
            f"{attrs}>\n"
            f'        {csrf}<button type="submit" class="button button-small button-primary" '
            'data-action="accept">Accept</button>\n'
            "      </form>\n      "
        )
    out.append(
        f'\n      <form method="post" action="{touch_url}?who={who}" hx-post="{touch_url}?who={who}" {attrs}>\n'
        f'        {csrf}<input type="hidden" name="kind" value="call">\n'
        '        <button type="submit" class="button button-small" data-action="log-call">Log call</button>\n'
        "      </form>\n"
        "      <details>\n"
        '        <summary class="button button-small" data-action="log-touch">Log…</summary>\n'
        '        <div class="inbox-popover">\n'
        f'          <form class="form" method="post" action="{touch_url}?who={who}" '
        f'hx-post="{touch_url}?who={who}" {attrs}>\n'
        f"            {csrf}\n"
        f'            <div class="field"><label for="kind-{pk}">What</label>\n'
        f'              <select id="kind-{pk}" name="kind">{_e(context.get("touch_kind_options", ""))}</select></div>\n'
        f'            <div class="field"><label for="outcome-{pk}">Outcome</label>\n'
        f'              <select id="outcome-{pk}" name="outcome"><option value="">Not recorded</option>'
        f"{_e(context.get('outcome_options', ''))}</select></div>\n"
        f'            <div class="field"><label for="touch-note-{pk}">Note</label>\n'
        f'              <textarea id="touch-note-{pk}" name="note"></textarea></div>\n'
        f"            {_e(context.get('touch_questions', ''))}\n"
        '            <button type="submit" class="button button-primary button-small">Log it</button>\n'
        "          </form>\n"
        "        </div>\n"
        "      </details>\n"
        "      "
    )
    if row.can_reject:
        reject_url = _e(row.reject_url)
        out.append(
            "\n      <details>\n"
            '        <summary class="button button-small" data-action="reject">Reject…</summary>\n'
            '        <div class="inbox-popover">\n'
            f'          <form class="form" method="post" action="{reject_url}?who={who}" '
            f'hx-post="{reject_url}?who={who}" {attrs}>\n'
            f"            {csrf}\n"
            f'            <div class="field"><label for="reason-{pk}">Reason</label>\n'
            f'              <select id="reason-{pk}" name="reason" required><option value="">Choose…</option>'
            f"{_e(context.get('reason_options', ''))}</select></div>\n"
            f'            <div class="field"><label for="reject-note-{pk}">Note</label>\n'
            f'              <textarea id="reject-note-{pk}" name="note" placeholder="Required for \'other\'">'
            "</textarea></div>\n"
            '            <button type="submit" class="button button-danger button-small">Reject lead</button>\n'
            "          </form>\n"
            "        </div>\n"
            "      </details>\n"
            "      "
        )
    out.append("\n    </div>\n    ")
    if row.error:
        out.append(f'<p class="row-message error" role="alert">{_e(row.error)}</p>')
    out.append("\n    ")
    if row.notice:
        out.append(f'<p class="row-message notice" role="status">{_e(row.notice)}</p>')
    out.append("\n  </td>\n</tr>\n")
    return mark_safe("".join(out))
