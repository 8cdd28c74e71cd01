"""Lead pages: intake list, lead detail with timeline, possible-duplicates queue and merge, sources.

Every page reads leads through ``leads_visible_to`` / ``lead_get`` / ``lead_list`` only
(accord.people.access), so a rep sees their own and their team's leads and gets a 404 for anyone else's.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from accord.audit.exports import csv_response
from accord.core.errors import ApplicationError, NotFound
from accord.core.listing import Column, ListDefinition, capped_counts, page_of, page_query
from accord.core.models import Channel, Event, SavedView
from accord.leads.exports import LEAD_HEADER, lead_rows
from accord.leads.forms import LeadEditForm, LeadFilterForm, SourceForm, StageChangeForm
from accord.leads.listing import LEAD_LIST
from accord.leads.models import CustomFieldLabel, DuplicateStatus, ImportJob, Lead, Source, SourceKind, Stage
from accord.leads.protection import APPLIED_EVENT, PROPOSED_EVENT, may_apply_proposed_change
from accord.leads.registry import TimelineStory, lead_list_extras, lead_panels, timeline_stories_for
from accord.leads.selectors import (
    LeadFilters,
    duplicate_queue,
    lead_events,
    lead_get,
    lead_list,
    lead_stage_history,
    lead_survivor,
)
from accord.leads.services import (
    duplicate_dismiss,
    lead_editable_fields,
    lead_fields_edit,
    lead_merge,
    lead_proposed_change_apply,
    lead_stage_set,
    source_create,
)
from accord.people import access
from accord.people.access import signed_in_user
from accord.people.models import Role, User

PAGE_SIZE = 50
SOURCE_ROLES = access.SOURCE_MANAGER_ROLES
STAGE_LABELS: dict[str, str] = dict(Stage.choices)
CHANNEL_LABELS: dict[str, str] = dict(Channel.choices)

# The lead's own fields, in the order the detail and comparison pages show them.
LEAD_FIELDS: tuple[tuple[str, str], ...] = (
    ("email", "Email"),
    ("salutation", "Salutation"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("title", "Title"),
    ("company", "Company"),
    ("phone", "Phone"),
    ("mobile", "Mobile"),
    ("fax", "Fax"),
    ("website", "Website"),
    ("industry", "Industry"),
    ("company_size", "Company size"),
    ("annual_revenue", "Annual revenue"),
    ("rating", "Rating"),
    ("street", "Street"),
    ("city", "City"),
    ("state", "State"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
    ("lead_source", "Lead source (as sent)"),
    ("message", "Message"),
    ("utm_source", "UTM source"),
    ("utm_medium", "UTM medium"),
    ("utm_campaign", "UTM campaign"),
    ("utm_term", "UTM term"),
    ("utm_content", "UTM content"),
    ("consent", "Consent"),
    ("consent_source", "Consent source"),
    ("consent_at", "Consent given at"),
    ("consent_text", "Consent wording"),
)


def _lead_or_404(user: User, lead_id: int) -> Lead:
    try:
        return lead_get(user=user, lead_id=lead_id)
    except NotFound:
        raise Http404("No such lead.") from None


def can_change_stage(user: User, lead: Lead) -> bool:
    """Whether the page offers the stage form (the write checks again through the access layer)."""
    return access.leads_actionable_by(user, "stage").filter(pk=lead.pk).exists()


def can_edit(user: User, lead: Lead) -> bool:
    """Whether the page links to the edit form (the write checks again through the access layer)."""
    return access.leads_actionable_by(user, "edit").filter(pk=lead.pk).exists()


def can_merge(user: User) -> bool:
    return user.has_role(*access.MERGE_ROLES)


# --- list --------------------------------------------------------------------------------------------


STAGE_COUNT_CAP = 1000
STAGE_BADGE_CAP = 100


def _options(choices: list[tuple[str, str]], selected: str) -> SafeString:
    """<option>s for a select, built once in Python (the filter rows repeat them)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if value == selected else "", label) for value, label in choices),
    )


DASH = mark_safe('<span class="muted">—</span>')


def _person_name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def lead_cells(lead: Lead, columns: list[Column], shown: set[str]) -> list[SafeString]:
    """One row of the lead list as table cells, built in Python (a template's if-chain per cell costs
    more than the page's queries)."""
    cells: list[SafeString] = []
    for column in columns:
        key = column.key
        if key == "name":
            title = (
                format_html(' <span class="muted small">· {}</span>', Truncator(lead.title).chars(40))
                if lead.title and "title" not in shown
                else ""
            )
            cell = format_html(
                '<td class="cell-name"><a href="{}">{}</a>{}</td>',
                reverse("leads:detail", args=[lead.pk]),
                lead.full_name or "(no name)",
                title,
            )
        elif key == "email":
            cell = format_html('<td class="cell-clip" title="{}">{}</td>', lead.email, lead.email)
        elif key == "company":
            account = lead.account.name if lead.account_id and lead.account else ""
            extra = (
                format_html(' <span class="muted small">· Account: {}</span>', account)
                if account and account != lead.company
                else ""
            )
            cell = format_html(
                '<td class="cell-clip" title="{}">{}{}</td>',
                f"{lead.company}{' · Account: ' + account if account else ''}",
                lead.company or "—",
                extra,
            )
        elif key == "source":
            cell = format_html('<td class="cell-clip">{}</td>', lead.source.name if lead.source else "—")
        elif key == "stage":
            cell = format_html(
                '<td><span class="badge badge-{}">{}</span></td>',
                lead.stage,
                STAGE_LABELS.get(lead.stage, ""),
            )
        elif key == "stage_since":
            cell = format_html(
                '<td class="small muted">{}</td>',
                date_format(localtime(lead.stage_changed_at), "SHORT_DATETIME_FORMAT")
                if lead.stage_changed_at
                else "—",
            )
        elif key == "score":
            cell = format_html('<td class="num">{}</td>', lead.score)
        elif key == "company_size":
            cell = format_html(
                '<td class="num">{}</td>', "—" if lead.company_size is None else lead.company_size
            )
        elif key == "owner":
            cell = (
                format_html('<td class="cell-clip">{}</td>', _person_name(lead.owner))
                if lead.owner_id
                else mark_safe('<td class="cell-clip"><span class="muted">Unassigned</span></td>')
            )
        elif key == "why":
            cell = (
                format_html(
                    '<td class="why"><details class="why-pop"><summary title="{}">Why</summary>'
                    '<div class="why-panel small">{}</div></details></td>',
                    lead.explanation,
                    lead.explanation,
                )
                if lead.explanation
                else format_html('<td class="why">{}</td>', DASH)
            )
        elif key == "received":
            at = localtime(lead.created_at)
            cell = format_html(
                '<td class="small muted" title="{}">{}</td>',
                at.isoformat(),
                date_format(at, "SHORT_DATETIME_FORMAT"),
            )
        else:  # title, country, industry: the field as it is
            cell = format_html('<td class="cell-clip">{}</td>', getattr(lead, key, "") or "—")
        cells.append(cell)
    return cells


def list_context(request: HttpRequest, definition: ListDefinition, *, base_query: str = "") -> dict[str, Any]:
    """The parts of a record list page every list shares: the parsed query, chosen columns, sort links,
    the conditions in words and the saved views offered (the person's own and the shared ones)."""
    user = signed_in_user(request)
    cols, sort, conditions = page_query(request.GET)
    query = definition.parse(cols=cols, sort=sort, conditions=conditions)
    keep = request.GET.copy()
    for name in ("sort", "page"):
        keep.pop(name, None)
    columns = [c for c in (definition.column(key) for key in query.columns) if c is not None]
    headers = []
    for column in columns:
        header: dict[str, Any] = {"column": column, "url": "", "state": ""}
        if column.sort is not None:
            params = keep.copy()
            params["sort"] = column.key if query.sort != column.key else f"-{column.key}"
            header["url"] = "?" + params.urlencode()
            header["state"] = {column.key: "asc", f"-{column.key}": "desc"}.get(query.sort, "")
        headers.append(header)
    views = SavedView.objects.filter(list_name=definition.name).filter(Q(owner=user) | Q(shared=True))
    field_choices: list[tuple[str, str]] = [(f.key, f.label) for f in definition.filters]
    if definition.custom_json:
        field_choices.append(("custom", "Custom field…"))
    operator_choices = definition.operator_choices()
    current = request.GET.copy()
    current.pop("page", None)
    current.pop("view", None)
    return {
        "definition": definition,
        "list_query": query,
        "columns": columns,
        "column_headers": headers,
        "column_keys": set(query.columns),
        "all_columns": definition.columns,
        "conditions": [
            {
                "condition": c,
                "words": definition.describe(c),
                "custom_name": c.field.removeprefix("custom.") if c.field.startswith("custom.") else "",
                "field_options": _options(
                    [("", "(remove this filter)"), *field_choices],
                    "custom" if c.field.startswith("custom.") else c.field,
                ),
                "operator_options": _options(operator_choices, c.op),
            }
            for c in query.conditions
        ],
        "new_field_options": _options([("", "Add a filter…"), *field_choices], ""),
        "new_operator_options": _options(operator_choices, ""),
        "filter_fields": definition.filters,
        "operators": definition.operator_choices(),
        "saved_views": list(views.select_related("owner")),
        "current_view": request.GET.get("view", ""),
        "current_query": current.urlencode(),
        "query_errors": query.errors,
    }


def _lead_filter_form(request: HttpRequest) -> LeadFilterForm:
    """The list's filters as the list page, its CSV export and the API read them."""
    owner_rows = (
        User.objects.filter(roles__role__in=[Role.SALES_REP, Role.SALES_MANAGER], is_active=True)
        .distinct()
        .order_by("username")
        .values_list("username", "first_name", "last_name")
    )
    return LeadFilterForm(
        request.GET or None,
        source_names=list(Source.objects.order_by("name").values_list("name", flat=True)),
        owner_names=[(u, f"{first} {last}".strip() or u) for u, first, last in owner_rows],
    )


@login_required
def lead_list_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The lead list as filtered, as CSV: every lead the filters match among those one may see
    (not only the page shown), streamed, formula-escaped and logged as an export."""
    user = signed_in_user(request)
    form = _lead_filter_form(request)
    filters = form.filters() if form.is_bound else LeadFilters()
    return csv_response(
        "leads.csv",
        LEAD_HEADER,
        lead_rows(lead_list(user=user, filters=filters)),
        user=user,
        what="leads",
        filters={k: v for k, v in asdict(filters).items() if v},
    )


@login_required
def lead_list_page(request: HttpRequest) -> HttpResponse:
    """The lead list: chosen columns, sorts, filters on any field (custom ones too), saved views, counts
    that stop at a thousand, 50 rows a page with a capped offset, and bulk actions."""
    user = signed_in_user(request)
    form = _lead_filter_form(request)
    filters = form.filters() if form.is_bound else LeadFilters()
    context = list_context(request, LEAD_LIST)
    list_query = context["list_query"]
    leads = LEAD_LIST.apply(lead_list(user=user, filters=filters), list_query, user=user)
    # Counts per stage for the same filters without the stage itself, so each count is a link; each
    # stops at STAGE_COUNT_CAP rows (an index range, not a scan of the table).
    unstaged = LEAD_LIST.apply(
        lead_list(
            user=user,
            filters=LeadFilters(
                source=filters.source, owner=filters.owner, q=filters.q, import_job=filters.import_job
            ),
        ),
        list_query,
        user=user,
    )
    # The stage badges count up to STAGE_BADGE_CAP each, and only over the indexed filters of the bar
    # (stage, owner, source, import): with a search word or a condition on any field a count per stage
    # could read the whole table to find that few leads match, so then only the total is counted.
    plain = not (filters.q or list_query.conditions)
    by_stage = {value: unstaged.filter(stage=value) for value in Stage.values} if plain else {}
    counts = capped_counts({"": unstaged}, STAGE_COUNT_CAP)
    counts.update(capped_counts(by_stage, STAGE_BADGE_CAP))
    stage_counts = [
        {"stage": value, "label": label, "count": counts[value], "active": filters.stage == value}
        for value, label in Stage.choices
        if value in counts and (counts[value].n or filters.stage == value)
    ]
    total = counts[""]
    page = page_of(leads, number=request.GET.get("page"), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "form": form,
            "page": page,
            "leads": page.rows,
            "rows": [
                {"lead": lead, "cells": lead_cells(lead, context["columns"], context["column_keys"])}
                for lead in page.rows
            ],
            "stage_counts": stage_counts,
            "total": total,
            "count_cap": STAGE_COUNT_CAP,
            "badge_cap": STAGE_BADGE_CAP,
            "filters": filters,
            "stage_choices": Stage.choices,
            "import_job": (
                ImportJob.objects.filter(pk=filters.import_job).first() if filters.import_job else None
            ),
            "query": query.urlencode(),
            "query_without_stage": _without(request, "stage", "page"),
            **lead_list_extras(user),
        }
    )
    template = (
        "leads/_lead_results.html"
        if getattr(request, "htmx", False) and not request.htmx.boosted
        else ("leads/list.html")
    )
    return render(request, template, context)


def _without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- detail ------------------------------------------------------------------------------------------


def duration_words(seconds: float) -> str:
    """'3 days 4 h', '5 h 10 min', '12 min', 'under a minute'."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    if mins:
        return f"{mins} min"
    return "under a minute"


def _stage_label(value: str) -> str:
    return STAGE_LABELS.get(value, value or "—")


def _person(actor: User | None) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.username


def _value_words(value: Any) -> str:
    if value in (None, ""):
        return "(empty)"
    return str(value)


# Campaign communications (accord.campaigns) in the timeline: what the person got or did.
COMMUNICATION_VERBS = {
    "communication.sent": "Was sent",
    "communication.opened": "Opened",
    "communication.clicked": "Clicked a link in",
    "communication.replied": "Replied to",
    "communication.meeting_booked": "Booked a meeting after",
}


def event_story(
    event: Event, lead: Lead, stories: dict[str, tuple[TimelineStory, dict[str, Any]]] | None = None
) -> dict[str, Any]:
    """One timeline entry in plain words: a headline and detail lines. Events of apps above leads are
    told by the story those apps registered (accord.leads.registry.register_timeline_story)."""
    payload = event.payload or {}
    who = _person(event.actor)
    lines: list[str] = []
    told = (stories or {}).get(event.type)
    if told is not None:
        story, prepared = told
        headline, lines = story.describe(event, prepared)
    elif event.type == "lead.intake":
        verb = "First came in" if payload.get("created") else "Came in again"
        headline = (
            f"{verb} through {CHANNEL_LABELS.get(payload.get('channel') or event.channel, event.channel)}"
        )
        if payload.get("source"):
            headline += f" ({payload['source']})"
        activity = (payload.get("activity") or "inquiry").replace("_", " ")
        headline += f": {activity}"
        changes = payload.get("changes") or {}
        shown = {k: v for k, v in changes.items() if k not in ("account", "custom", "consent_at")}
        if shown and not payload.get("created"):
            lines.append(
                "Changed: "
                + "; ".join(
                    f"{name.replace('_', ' ')} {_value_words(old)} → {_value_words(new)}"
                    for name, (old, new) in shown.items()
                )
            )
        elif shown:
            lines.append("Sent: " + ", ".join(name.replace("_", " ") for name in shown))
        if "custom" in changes:
            lines.append("Custom fields updated")
        if payload.get("account_match"):
            lines.append(f"Account: {str(payload['account_match']).replace('_', ' ')}")
        if payload.get("campaign"):
            lines.append(f"Campaign: {payload['campaign']}")
        lines.extend(str(note) for note in payload.get("notes") or [])
        if "score" in payload:
            fit, engagement = payload.get("fit", 0), payload.get("engagement", 0)
            lines.append(
                f"Scored {payload['score']} (fit {fit} + engagement {engagement})"
                f" under criteria v{payload.get('version', '?')}: {payload.get('explanation', '')}"
            )
        if event.stage:
            lines.append(f"Stage set to {_stage_label(event.stage)}")
    elif event.type == "lead.edited":
        headline = "Details edited" + (f" by {who}" if who else "")
        changes = payload.get("changes") or {}
        if changes:
            lines.append(
                "Changed: "
                + "; ".join(
                    f"{name.replace('_', ' ')} {_value_words(old)} → {_value_words(new)}"
                    for name, (old, new) in changes.items()
                )
            )
        if payload.get("custom"):
            lines.append("Custom fields updated")
    elif event.type == "lead.stage_changed":
        before, after = _stage_label(payload.get("from", "")), _stage_label(payload.get("to", event.stage))
        headline = f"Stage changed from {before} to {after}"
        if who:
            headline += f" by {who}"
        if payload.get("reason"):
            lines.append(f"Reason: {payload['reason']}")
    elif event.type in ("lead.scored", "lead.rescored"):
        headline = f"Scored {payload.get('score', '?')}"
        if payload.get("version"):
            headline += f" under criteria v{payload['version']}"
        if payload.get("explanation"):
            lines.append(str(payload["explanation"]))
        if event.stage:
            lines.append(f"Stage set to {_stage_label(event.stage)}")
    elif event.type == "lead.assigned":
        owner = payload.get("owner_name") or payload.get("owner")
        if owner:
            headline = f"Assigned to {owner}"
        elif payload.get("queue"):
            headline = f"Placed in the queue {payload['queue']}"
        else:
            headline = "Assigned"
        if who:
            headline += f" by {who}"
        if payload.get("previous_owner"):
            lines.append(f"Before: {payload['previous_owner']}")
        # The explanation is in words ("rule 'Health vertical' matched: ..."); the reason is a code.
        if payload.get("explanation"):
            lines.append(f"Why: {payload['explanation']}")
        if payload.get("note"):
            lines.append(f"Note: {payload['note']}")
    elif event.type == "lead.merged":
        headline = f"Merged with lead #{payload.get('merged_lead')} ({payload.get('merged_email', '')})"
        if who:
            headline += f" by {who}"
        filled = payload.get("filled") or {}
        if filled:
            lines.append("Filled in from the merged lead: " + ", ".join(k.replace("_", " ") for k in filled))
    elif event.type == "lead.merged_away":
        headline = (
            f"Lead #{event.subject_id} was merged into lead #{payload.get('into_lead')}"
            f" ({payload.get('into_email', '')})"
        )
    elif event.type == PROPOSED_EVENT:
        source = f" ({payload['source']})" if payload.get("source") else ""
        headline = (
            f"Proposed change from {CHANNEL_LABELS.get(payload.get('channel') or event.channel, event.channel)}"
            f"{source}, not applied: sales works on this lead"
        )
        lines.append(
            "Proposed: "
            + "; ".join(
                f"{name.replace('_', ' ')} {_value_words(old)} → {_value_words(new)}"
                for name, (old, new) in (payload.get("changes") or {}).items()
            )
        )
    elif event.type == APPLIED_EVENT:
        headline = "Applied a proposed change" + (f" ({who})" if who else "")
        changes = payload.get("changes") or {}
        if changes:
            lines.append(
                "Changed: "
                + "; ".join(
                    f"{name.replace('_', ' ')} {_value_words(old)} → {_value_words(new)}"
                    for name, (old, new) in changes.items()
                )
            )
    elif event.type in COMMUNICATION_VERBS:
        headline = (
            f"{COMMUNICATION_VERBS[event.type]} {payload.get('name', 'a communication')!r}"
            f" (variant {payload.get('variant', '?')})"
        )
        if payload.get("subject"):
            lines.append(f"Subject: {payload['subject']}")
        if payload.get("benefit_for_sales"):
            lines.append(f"What's in it for sales: {payload['benefit_for_sales']}")
    else:
        # An event no app tells: its type in words ("lead.recycle_skipped" -> "Recycle skipped").
        headline = event.type.split(".", 1)[-1].replace("_", " ").capitalize()
        if who:
            headline += f" by {who}"
        # A higher app's reason code (sla's 'bad_data') comes with the words to show for it.
        if payload.get("reason_label"):
            lines.append(f"Reason: {payload['reason_label']}")
        if payload.get("note"):
            lines.append(f"Note: {payload['note']}")
        if event.stage:
            lines.append(f"Stage set to {_stage_label(event.stage)}")
    return {
        "event": event,
        "headline": headline,
        "lines": lines,
        "actor": who,
        "channel": CHANNEL_LABELS.get(event.channel, event.channel),
        "from_merged": event.subject_id != lead.pk,
    }


def _detail_context(
    request: HttpRequest, lead: Lead, stage_form: StageChangeForm | None = None
) -> dict[str, Any]:
    user = signed_in_user(request)
    history = lead_stage_history(lead)
    spans = [
        {
            "stage": span.stage,
            "label": _stage_label(span.stage),
            "entered_at": span.entered_at,
            "left_at": span.left_at,
            "duration": duration_words(span.duration_seconds),
        }
        for span in history
    ]
    fields = []
    for name, label in LEAD_FIELDS:
        value = getattr(lead, name)
        if name == "consent":
            value = lead.get_consent_display()
        fields.append({"name": name, "label": label, "value": value})
    allowed = can_change_stage(user, lead)
    events = list(lead_events(lead))
    applied = {e.payload.get("proposal") for e in events if e.type == APPLIED_EVENT and e.payload}
    stories = timeline_stories_for(events)
    timeline = [event_story(e, lead, stories) for e in events]
    for item in timeline:
        item["open_proposal"] = item["event"].type == PROPOSED_EVENT and item["event"].pk not in applied
    return {
        "lead": lead,
        "fields": fields,
        "custom": custom_fields_labelled(lead.custom or {}),
        "spans": spans,
        "timeline": timeline,
        "can_apply_proposals": may_apply_proposed_change(user, lead),
        "can_change_stage": allowed,
        "can_edit": can_edit(user, lead),
        "stage_form": stage_form or (StageChangeForm(initial={"stage": lead.stage}) if allowed else None),
        "stage_label": _stage_label(lead.stage),
        "panels": lead_panels(user, lead),
    }


def custom_fields_labelled(custom: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of a lead's custom fields: the label an admin gave the name, else the name."""
    labels = (
        dict(CustomFieldLabel.objects.filter(key__in=list(custom)[:500]).values_list("key", "label"))
        if custom
        else {}
    )
    return sorted(((labels.get(k, k), v) for k, v in custom.items()), key=lambda kv: kv[0].lower())


@login_required
def lead_detail_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = signed_in_user(request)
    survivor = lead_survivor(user=user, lead_id=lead_id)
    if survivor is not None:
        # A merged lead's old address leads to the lead it was merged into, for good (301).
        messages.info(request, "That lead was merged into this one.")
        return redirect(reverse("leads:detail", args=[survivor.pk]), permanent=True)
    lead = _lead_or_404(user, lead_id)
    return render(request, "leads/detail.html", _detail_context(request, lead))


@login_required
@require_POST
def lead_stage_change(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Manual stage change from the detail page, through ``lead_stage_set``."""
    user = signed_in_user(request)
    try:
        lead = access.access_lead_by_id(request.user, lead_id, action="stage")
    except NotFound:
        raise Http404("No such lead.") from None
    except ApplicationError as exc:  # seen, not theirs to change (403)
        raise PermissionDenied(exc.message) from None
    form = StageChangeForm(request.POST)
    if form.is_valid():
        try:
            lead_stage_set(
                lead=lead,
                stage=form.cleaned_data["stage"],
                actor=user,
                reason=form.cleaned_data["reason"],
                channel=Channel.PAGE,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Stage set to {_stage_label(form.cleaned_data['stage'])}.")
            return redirect("leads:detail", lead_id=lead.pk)
    lead = _lead_or_404(user, lead_id)
    return render(request, "leads/detail.html", _detail_context(request, lead, form), status=422)


def _edit_form(user: User, lead: Lead, data: Any = None) -> LeadEditForm:
    editable = lead_editable_fields(user)
    initial: dict[str, Any] = {
        name: "" if getattr(lead, name) is None else str(getattr(lead, name)) for name in editable
    }
    labels = dict(
        CustomFieldLabel.objects.filter(key__in=list(lead.custom or {})[:500]).values_list("key", "label")
    )
    custom_labels = [(key, labels.get(key, key)) for key in sorted(lead.custom or {})]
    initial.update({LeadEditForm.CUSTOM_PREFIX + k: str(v) for k, v in (lead.custom or {}).items()})
    return LeadEditForm(data, initial=initial, editable=editable, custom_labels=custom_labels)


@login_required
def lead_edit_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Edit a lead's fields (those the person's role may change), through ``lead_fields_edit``."""
    user = signed_in_user(request)
    try:
        lead = access.access_lead_by_id(user, lead_id, action="edit")
    except NotFound:
        raise Http404("No such lead.") from None
    except ApplicationError as exc:  # seen, not theirs to edit (403)
        raise PermissionDenied(exc.message) from None
    form = _edit_form(user, lead, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values, custom = form.changed_values()
            try:
                lead, changes = lead_fields_edit(
                    user=user, lead_id=lead.pk, values=values, custom=custom, channel=Channel.PAGE
                )
            except ApplicationError as exc:
                for name, problem in (exc.detail or {}).items():
                    field = name if name in form.fields else None
                    form.add_error(field, f"{problem}" if field else f"{name}: {problem}")
                if not exc.detail:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    "Saved: " + ", ".join(n.replace("_", " ") for n in changes) + "."
                    if changes
                    else "Nothing was changed.",
                )
                return redirect("leads:detail", lead_id=lead.pk)
        status = 422
    return render(request, "leads/edit.html", {"lead": lead, "form": form}, status=status)


@login_required
@require_POST
def lead_proposed_change_apply_view(request: HttpRequest, lead_id: int, proposal_id: int) -> HttpResponse:
    """'Apply' on a proposed change in the timeline, through ``lead_proposed_change_apply``."""
    user = signed_in_user(request)
    lead = _lead_or_404(user, lead_id)
    if not may_apply_proposed_change(user, lead):
        raise PermissionDenied(
            "Only the lead's owner, marketing, the heads and admins may apply a proposed change."
        )
    try:
        lead_proposed_change_apply(lead=lead, proposal_id=proposal_id, actor=user, channel=Channel.PAGE)
    except NotFound:
        raise Http404("No such proposed change.") from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The proposed change was applied.")
    return redirect("leads:detail", lead_id=lead.pk)


# --- possible duplicates --------------------------------------------------------------------------------


def _require_merge_role(request: HttpRequest) -> None:
    if not can_merge(signed_in_user(request)):
        raise PermissionDenied("Only marketing, the heads and admins work the duplicates queue.")


def _open_pairs(user: User):
    return (
        access.duplicates_visible_to(user)
        .filter(status=DuplicateStatus.OPEN)
        .select_related("lead", "other", "lead__account", "other__account", "lead__owner", "other__owner")
        .order_by("-similarity", "-created_at")
    )


@login_required
def duplicate_queue_page(request: HttpRequest) -> HttpResponse:
    _require_merge_role(request)
    page = duplicate_queue(user=signed_in_user(request), after=(request.GET.get("after") or "")[:40])
    return render(request, "leads/duplicates.html", {"page": page, "pairs": page.pairs})


def _compare_rows(left: Lead, right: Lead) -> list[dict[str, Any]]:
    rows = []
    extra = (
        ("account", "Account"),
        ("owner", "Owner"),
        ("source", "Source"),
        ("stage", "Stage"),
        ("score", "Score"),
        ("created_at", "First seen"),
    )
    for name, label in (*LEAD_FIELDS, *extra):
        a, b = getattr(left, name), getattr(right, name)
        if name == "stage":
            a, b = _stage_label(a), _stage_label(b)
        a = "" if a is None else a
        b = "" if b is None else b
        rows.append({"label": label, "left": a, "right": b, "differs": str(a) != str(b)})
    for key in sorted(set(left.custom or {}) | set(right.custom or {})):
        a, b = (left.custom or {}).get(key, ""), (right.custom or {}).get(key, "")
        rows.append({"label": f"Custom: {key}", "left": a, "right": b, "differs": str(a) != str(b)})
    return rows


@login_required
def duplicate_compare_page(request: HttpRequest, pair_id: int) -> HttpResponse:
    _require_merge_role(request)
    pair = get_object_or_404(_open_pairs(signed_in_user(request)), pk=pair_id)
    return render(
        request,
        "leads/duplicate_compare.html",
        {
            "pair": pair,
            "left": pair.lead,
            "right": pair.other,
            "rows": _compare_rows(pair.lead, pair.other),
        },
    )


@login_required
@require_POST
def duplicate_resolve(request: HttpRequest, pair_id: int) -> HttpResponse:
    """Keep left, keep right, or not a duplicate."""
    user = signed_in_user(request)
    _require_merge_role(request)
    pair = get_object_or_404(_open_pairs(user), pk=pair_id)
    action = request.POST.get("action", "")
    try:
        if action == "keep_left":
            kept = lead_merge(keep=pair.lead, merge=pair.other, actor=user, channel=Channel.PAGE)
        elif action == "keep_right":
            kept = lead_merge(keep=pair.other, merge=pair.lead, actor=user, channel=Channel.PAGE)
        elif action == "dismiss":
            duplicate_dismiss(duplicate=pair, actor=user)
            messages.success(request, "Marked as two different people.")
            return redirect("leads:duplicates")
        else:
            messages.error(request, "Choose keep left, keep right or not a duplicate.")
            return redirect("leads:duplicate", pair_id=pair.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("leads:duplicates")
    messages.success(request, f"Merged into {kept}. Its timeline now holds both histories.")
    return redirect("leads:detail", lead_id=kept.pk)


# --- sources ---------------------------------------------------------------------------------------------


def form_snippet(source: Source, action_url: str) -> str:
    """A copy-ready HTML form posting to a source, with its honeypot field hidden from people."""
    return (
        f'<form action="{action_url}" method="post">\n'
        '  <label>Work email <input type="email" name="email" required></label>\n'
        '  <label>First name <input type="text" name="first_name"></label>\n'
        '  <label>Last name <input type="text" name="last_name"></label>\n'
        '  <label>Company <input type="text" name="company"></label>\n'
        '  <label>Job title <input type="text" name="title"></label>\n'
        '  <label>Phone <input type="tel" name="phone"></label>\n'
        '  <input type="hidden" name="activity" value="inquiry">\n'
        "  <!-- Leave this field hidden: only bots fill it in, and their submissions are dropped. -->\n"
        '  <div style="position:absolute;left:-10000px" aria-hidden="true">\n'
        f'    <input type="text" name="{source.honeypot_field}" tabindex="-1" autocomplete="off">\n'
        "  </div>\n"
        '  <button type="submit">Send</button>\n'
        "</form>"
    )


def _sources_context(request: HttpRequest, form: SourceForm | None) -> dict[str, Any]:
    rows = []
    counts = dict(Lead.objects.live().order_by().values_list("source").annotate(n=Count("id")))
    for source in Source.objects.order_by("name"):
        url = request.build_absolute_uri(reverse("intake:form_submit", kwargs={"key": source.public_key}))
        rows.append(
            {
                "source": source,
                "url": url,
                "snippet": form_snippet(source, url),
                "lead_count": counts.get(source.pk, 0),
            }
        )
    return {"rows": rows, "form": form, "can_create": signed_in_user(request).has_role(*SOURCE_ROLES)}


@login_required
def source_list_page(request: HttpRequest) -> HttpResponse:
    can_create = signed_in_user(request).has_role(*SOURCE_ROLES)
    form: SourceForm | None = None
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied("Only admins and marketing create sources.")
        form = SourceForm(request.POST)
        if form.is_valid():
            try:
                source = source_create(
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    success_url=form.cleaned_data["success_url"] or "",
                    allowed_redirect_hosts=form.cleaned_data["allowed_redirect_hosts"] or "",
                )
            except ApplicationError as exc:
                for name, problem in exc.detail.items():
                    if name in form.fields:
                        form.add_error(name, str(problem))
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"Source “{source.name}” created. Its form posts to /f/{source.public_key}."
                )
                return redirect("leads:sources")
        return render(request, "leads/sources.html", _sources_context(request, form), status=422)
    if can_create:
        form = SourceForm(initial={"kind": SourceKind.FORM})
    return render(request, "leads/sources.html", _sources_context(request, form))


urlpatterns = [
    path("leads/", lead_list_page, name="list"),
    path("leads/export.csv", lead_list_csv, name="export"),
    path("leads/<int:lead_id>/", lead_detail_page, name="detail"),
    path("leads/<int:lead_id>/stage", lead_stage_change, name="stage_set"),
    path("leads/<int:lead_id>/edit", lead_edit_page, name="edit"),
    path(
        "leads/<int:lead_id>/proposals/<int:proposal_id>/apply",
        lead_proposed_change_apply_view,
        name="proposal_apply",
    ),
    path("leads/duplicates/", duplicate_queue_page, name="duplicates"),
    path("leads/duplicates/<int:pair_id>/", duplicate_compare_page, name="duplicate"),
    path("leads/duplicates/<int:pair_id>/resolve", duplicate_resolve, name="duplicate_resolve"),
    path("sources/", source_list_page, name="sources"),
]
