"""Writes for qualification: drafting criteria, signing them off (which activates them), re-scoring."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accord.audit.capture import audit_bulk_created
from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record, events_bulk_append
from accord.core.models import Channel, Event
from accord.core.notify import notify
from accord.leads.hand_off import HandOff, hand_off
from accord.leads.models import MARKETING_STAGES, Lead
from accord.people.models import User
from accord.qualification.apps import CRITERIA_SIGN_OFF_KIND
from accord.qualification.bulk import activities_frame, evaluate_frame, explanations, records_frame
from accord.qualification.engine import RuleInvalid, rule_validate
from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus, SignOff, SignOffRole
from accord.qualification.selectors import (
    criteria_spec_of,
    user_can_edit_criteria,
    user_sign_off_roles,
)

RULE_ATTRIBUTES = ("kind", "field", "operator", "value", "points", "half_life_days", "label")


def _require_editor(user: User) -> None:
    if not user_can_edit_criteria(user):
        raise AccessDenied(
            "Only marketing, the marketing head, the sales head or an admin may edit criteria drafts."
        )


def _require_draft(criteria_set: CriteriaSet) -> None:
    if criteria_set.status != CriteriaStatus.DRAFT:
        raise Conflict(
            f"Version {criteria_set.version} is {criteria_set.status}; only drafts change. "
            "Start a new draft based on it instead.",
            detail={"status": criteria_set.status},
        )


@transaction.atomic
def criteria_draft_create(
    *, user: User, based_on: CriteriaSet | None = None, name: str | None = None
) -> CriteriaSet:
    """Start a new draft version (copying the rules of ``based_on`` when given)."""
    _require_editor(user)
    # Lock the table's newest row so two drafts started at once do not pick the same number.
    latest = CriteriaSet.objects.select_for_update().order_by("-version").first()
    number = (latest.version if latest else 0) + 1
    draft = CriteriaSet(
        version=number,
        name=name or (based_on.name if based_on else CriteriaSet._meta.get_field("name").default),
        mql_threshold=based_on.mql_threshold if based_on else 60,
        based_on=based_on,
        created_by=user,
    )
    draft.full_clean()
    draft.save()
    if based_on is not None:
        copied = CriteriaRule.objects.bulk_create(
            CriteriaRule(
                criteria_set=draft,
                position=rule.position,
                kind=rule.kind,
                field=rule.field,
                operator=rule.operator,
                value=rule.value,
                points=rule.points,
                half_life_days=rule.half_life_days,
                label=rule.label,
            )
            for rule in based_on.rules.all()
        )
        audit_bulk_created(copied)  # bulk_create sends no signals: configuration changes are audited
    event_record(
        type="criteria.drafted",
        subject=draft,
        actor=user,
        payload={"version": number, "based_on": based_on.version if based_on else None},
    )
    return draft


def rules_clean(rules: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate rule dicts; errors name the rule position (1-based) and the attribute at fault."""
    cleaned: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for index, raw in enumerate(rules):
        position = index + 1
        if not isinstance(raw, dict):
            errors[f"rules[{index}]"] = "must be an object"
            continue
        rule = {
            "kind": raw.get("kind", "fit"),
            "field": str(raw.get("field") or "").strip(),
            "operator": raw.get("operator"),
            "value": raw.get("value", ""),
            "points": raw.get("points", 0),
            "half_life_days": raw.get("half_life_days"),
            "label": str(raw.get("label") or "").strip()[:200],
        }
        try:
            rule["value"] = rule_validate(
                kind=rule["kind"],
                field=rule["field"],
                operator=rule["operator"],
                value=rule["value"],
                points=rule["points"],
                half_life_days=rule["half_life_days"],
            )
        except RuleInvalid as exc:
            errors[f"rules[{index}].{exc.attribute}"] = (
                f"rule {position} ({rule['field'] or 'no field'}): {exc}"
            )
            continue
        cleaned.append(rule)
    if errors:
        first = next(iter(errors.values()))
        raise ApplicationError(f"Rule problem: {first}", detail=errors)
    return cleaned


def _rules_of(criteria_set: CriteriaSet) -> list[dict[str, Any]]:
    return [{a: getattr(r, a) for a in RULE_ATTRIBUTES} for r in criteria_set.rules.all()]


@transaction.atomic
def criteria_draft_update(
    *,
    criteria_set: CriteriaSet,
    user: User,
    name: str,
    mql_threshold: int,
    notes: str,
    rules: list[dict[str, Any]],
) -> CriteriaSet:
    """Replace a draft's settings and rules. Any change clears the sign-offs it had."""
    _require_editor(user)
    criteria_set = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
    _require_draft(criteria_set)
    cleaned = rules_clean(rules)
    if not str(name or "").strip():
        raise ApplicationError("The criteria need a name.", detail={"name": "is required"})
    before = (criteria_set.name, criteria_set.mql_threshold, criteria_set.notes, _rules_of(criteria_set))
    criteria_set.name = str(name).strip()
    criteria_set.mql_threshold = mql_threshold
    criteria_set.notes = notes or ""
    criteria_set.full_clean()
    after = (criteria_set.name, criteria_set.mql_threshold, criteria_set.notes, cleaned)
    if before == after:
        return criteria_set
    criteria_set.save()
    criteria_set.rules.all().delete()
    replaced = CriteriaRule.objects.bulk_create(
        CriteriaRule(criteria_set=criteria_set, position=i, **rule) for i, rule in enumerate(cleaned)
    )
    audit_bulk_created(replaced)  # bulk_create sends no signals: configuration changes are audited
    cleared = criteria_set.sign_offs.count()
    criteria_set.sign_offs.all().delete()
    event_record(
        type="criteria.updated",
        subject=criteria_set,
        actor=user,
        payload={"version": criteria_set.version, "rules": len(cleaned), "sign_offs_cleared": cleared},
    )
    return criteria_set


@transaction.atomic
def criteria_sign_off(
    *, criteria_set: CriteriaSet, user: User, comment: str = "", role: str | None = None
) -> SignOff:
    """A head agrees to a draft. The second head's sign-off activates it and retires the old one.

    ``role`` picks the role to sign as when the user holds both heads' roles.
    """
    held = user_sign_off_roles(user)
    if not held:
        raise AccessDenied("Only the marketing head or the sales head may sign off criteria.")
    if role is not None and role not in held:
        raise AccessDenied(f"You do not hold the role {role!r}.", detail={"role": "not held"})
    criteria_set = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
    _require_draft(criteria_set)
    if not criteria_set.rules.exists():
        raise Conflict("A version without rules cannot be signed off.", detail={"rules": "empty"})
    existing = {s.role: s for s in criteria_set.sign_offs.select_related("user")}
    if any(s.user_id == user.pk for s in existing.values()):
        raise Conflict(
            "You already signed this version; the other head must sign it.", detail={"user": "already signed"}
        )
    open_roles = [r for r in ((role,) if role else sorted(held)) if r not in existing]
    if not open_roles:
        raise Conflict("This version is already signed in your role.", detail={"role": "already signed"})
    sign_off = SignOff.objects.create(
        criteria_set=criteria_set,
        role=open_roles[0],
        user=user,
        signed_at=timezone.now(),
        comment=comment or "",
    )
    event_record(
        type="criteria.signed_off",
        subject=criteria_set,
        actor=user,
        payload={"version": criteria_set.version, "role": sign_off.role, "comment": sign_off.comment},
    )
    if set(existing) | {sign_off.role} >= set(SignOffRole.values):
        _criteria_activate(criteria_set=criteria_set, user=user)
    else:
        _sign_off_ask_the_others(criteria_set=criteria_set, signed={*existing, sign_off.role}, by=user)
    return sign_off


def _sign_off_ask_the_others(*, criteria_set: CriteriaSet, signed: set[str], by: User) -> None:
    """Tell every active holder of a head's role that has not signed yet that the draft waits for them."""
    waiting = [role for role in SignOffRole.values if role not in signed]
    url = reverse("qualification:detail", args=[criteria_set.pk])
    for person in (
        User.objects.filter(is_active=True, roles__role__in=waiting)
        .exclude(pk=by.pk)
        .distinct()
        .order_by("pk")
    ):
        notify(
            user=person,
            kind=CRITERIA_SIGN_OFF_KIND,
            subject=f"Criteria version {criteria_set.version} waits for your sign-off",
            body=(
                f"{by.get_full_name() or by.username} signed version {criteria_set.version} of the qualification "
                "criteria. It becomes active once you sign it too."
            ),
            url=url,
        )


def _criteria_activate(*, criteria_set: CriteriaSet, user: User) -> None:
    """Make a fully signed draft the active version (only ever called from criteria_sign_off)."""
    now = timezone.now()
    previous = CriteriaSet.objects.select_for_update().filter(status=CriteriaStatus.ACTIVE).first()
    if previous is not None:
        previous.status = CriteriaStatus.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at", "updated_at"])
    criteria_set.status = CriteriaStatus.ACTIVE
    criteria_set.activated_at = now
    criteria_set.save(update_fields=["status", "activated_at", "updated_at"])
    event_record(
        type="criteria.activated",
        subject=criteria_set,
        actor=user,
        payload={"version": criteria_set.version, "retired": previous.version if previous else None},
    )
    criteria_id = criteria_set.pk

    def enqueue() -> None:
        from accord.qualification.tasks import criteria_rescore_task

        criteria_rescore_task.enqueue(criteria_id=criteria_id)

    transaction.on_commit(enqueue)


_UPDATE_BATCH = 2000


@transaction.atomic
def criteria_rescore(
    *, criteria_set: CriteriaSet, lead_ids: Iterable[int] | None = None, as_of: datetime | None = None
) -> dict[str, int]:
    """Re-score open leads in bulk; writes and records an event only for leads whose verdict changed.

    Leads in marketing's stages move to MQL / nurture / disqualified; leads sales already works keep
    their stage and only get the new score.
    """
    now = timezone.now()
    as_of = as_of or now
    spec = criteria_spec_of(criteria_set)
    ids = None if lead_ids is None else list(lead_ids)
    records = records_frame(ids, only_open=True)
    if records.height == 0:
        return {"evaluated": 0, "changed": 0, "stage_changed": 0}
    activities = activities_frame(ids) if any(r.kind == "engagement" for r in spec.rules) else None
    result = evaluate_frame(spec, records, activities, as_of)
    result = result.with_columns(explanation=pl.Series(explanations(spec, result), dtype=pl.String))
    state = records.select(
        "lead_key", "_stage", "_score", "_fit", "_engagement", "_criteria_version", "_explanation"
    )
    marketing = [str(s) for s in MARKETING_STAGES]
    joined = result.join(state, on="lead_key", how="left").with_columns(
        new_stage=pl.when(pl.col("_stage").is_in(marketing))
        .then(pl.col("decision"))
        .otherwise(pl.col("_stage"))
    )
    changed = joined.filter(
        (pl.col("score") != pl.col("_score"))
        | (pl.col("fit") != pl.col("_fit"))
        | (pl.col("engagement") != pl.col("_engagement"))
        | (pl.col("_criteria_version").is_null() | (pl.col("_criteria_version") != criteria_set.pk))
        | (pl.col("explanation") != pl.col("_explanation"))
        | (pl.col("new_stage") != pl.col("_stage"))
    )
    stage_changed = 0
    lead_table = connection.ops.quote_name(Lead._meta.db_table)
    columns = [
        "score",
        "fit_score",
        "engagement_score",
        "criteria_version_id",
        "explanation",
        "scored_at",
        "updated_at",
    ]
    set_plain = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    set_stage = (
        set_plain
        + ", "
        + ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in ("stage", "stage_changed_at"))
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    plain_rows: list[tuple[Any, ...]] = []
    stage_rows: list[tuple[Any, ...]] = []
    events: list[Event] = []
    for row in changed.iter_rows(named=True):
        moved = row["new_stage"] != row["_stage"]
        values = (
            row["score"],
            row["fit"],
            row["engagement"],
            criteria_set.pk,
            row["explanation"],
            stamp,
            stamp,
        )
        if moved:
            stage_changed += 1
            stage_rows.append((*values, row["new_stage"], stamp, row["lead_key"]))
        else:
            plain_rows.append((*values, row["lead_key"]))
        events.append(
            Event(
                type="lead.scored",
                subject_type="lead",
                subject_id=row["lead_key"],
                channel=Channel.TASK,
                occurred_at=now,
                stage=row["new_stage"] if moved else "",
                payload={
                    "version": spec.version,
                    "fit": row["fit"],
                    "engagement": row["engagement"],
                    "score": row["score"],
                    "decision": row["decision"],
                    "explanation": row["explanation"],
                    "previous_score": row["_score"],
                    "previous_stage": row["_stage"],
                },
            )
        )
    with connection.cursor() as cursor:
        for sql, rows in (
            (f"UPDATE {lead_table} SET {set_plain} WHERE id = %s", plain_rows),
            (f"UPDATE {lead_table} SET {set_stage} WHERE id = %s", stage_rows),
        ):
            for start in range(0, len(rows), _UPDATE_BATCH):
                cursor.executemany(sql, rows[start : start + _UPDATE_BATCH])
    events_bulk_append(events)
    # The audit trail gets what a save would have recorded: each tracked field that changed.
    from accord.audit.capture import BulkChange, audit_bulk_changes
    from accord.audit.models import ChangeAction

    pairs = (
        ("stage", "_stage", "new_stage"),
        ("score", "_score", "score"),
        ("fit_score", "_fit", "fit"),
        ("engagement_score", "_engagement", "engagement"),
    )
    audits = []
    for row in changed.iter_rows(named=True):
        changes = {name: [row[old], row[new]] for name, old, new in pairs if row[old] != row[new]}
        if row["_criteria_version"] != criteria_set.pk:
            changes["criteria_version"] = [row["_criteria_version"], criteria_set.pk]
        if changes:
            audits.append(BulkChange(row["lead_key"], ChangeAction.UPDATE, changes=changes))
    audit_bulk_changes(Lead, audits, occurred_at=now)
    if stage_rows:
        # Leads the new scores moved take the one hand-off every door ends with: new MQLs routed,
        # new nurture leads tracked (accord.intake fills the hook; qualification sits below it).
        explained = dict(changed.select("lead_key", "explanation").iter_rows())
        previous = dict(changed.select("lead_key", "_stage").iter_rows())
        hand_off(
            leads=[
                HandOff(
                    lead_id=row[-1],
                    previous_stage=previous[row[-1]],
                    stage=row[-3],
                    explanation=explained[row[-1]],
                )
                for row in stage_rows
            ],
            at=now,
        )
    return {"evaluated": result.height, "changed": changed.height, "stage_changed": stage_changed}
