"""Reads for qualification: criteria versions as engine specs, diffs, and one lead's evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accord.core.errors import NotFound
from accord.core.rows import row_values
from accord.leads.models import MARKETING_STAGES, Lead, Stage
from accord.people import access
from accord.people.models import User
from accord.qualification.engine import Activity, CriteriaSpec, Evaluation, RuleSpec, evaluate, rule_describe
from accord.qualification.fields import CUSTOM_PREFIX, lead_activities, lead_record
from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus, SignOffRole
from accord.qualification.wording import choices_words, points_words, rule_in_words, value_shown

EDITOR_ROLES = access.CRITERIA_EDITOR_ROLES
SIGNER_ROLES = frozenset({SignOffRole.MARKETING_HEAD, SignOffRole.SALES_HEAD})


def user_can_edit_criteria(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*EDITOR_ROLES))


def user_sign_off_roles(user: User) -> frozenset[str]:
    """The sign-off roles (marketing_head, sales_head) a user holds."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(r for r in user.role_set if r in SIGNER_ROLES)


def criteria_list() -> QuerySet[CriteriaSet]:
    return CriteriaSet.objects.prefetch_related("sign_offs__user").order_by("-version")


def criteria_get(*, criteria_id: int) -> CriteriaSet:
    found = criteria_list().prefetch_related("rules").filter(pk=criteria_id).first()
    if found is None:
        raise NotFound(f"Criteria set {criteria_id} does not exist.", detail={"id": "not found"})
    return found


def criteria_active() -> CriteriaSet | None:
    return CriteriaSet.objects.filter(status=CriteriaStatus.ACTIVE).first()


def criteria_previous(criteria_set: CriteriaSet) -> CriteriaSet | None:
    """The version this one was based on, else the one numbered just before it."""
    if criteria_set.based_on_id:
        return criteria_set.based_on
    return CriteriaSet.objects.filter(version__lt=criteria_set.version).order_by("-version").first()


def rule_spec_of(rule: CriteriaRule) -> RuleSpec:
    value = tuple(rule.value) if isinstance(rule.value, list) else rule.value
    return RuleSpec(
        id=rule.pk,
        kind=rule.kind,
        field=rule.field,
        operator=rule.operator,
        value=value,
        points=rule.points,
        half_life_days=rule.half_life_days,
        label=rule.label,
    )


def criteria_spec_of(criteria_set: CriteriaSet) -> CriteriaSpec:
    """A criteria version as the engines see it."""
    rules = criteria_set.rules.all()
    return CriteriaSpec(
        id=criteria_set.pk,
        version=criteria_set.version,
        threshold=criteria_set.mql_threshold,
        rules=tuple(rule_spec_of(r) for r in rules),
    )


# An active version never changes, so its spec can be kept for as long as it stays the active one.
# Keyed by (id, version, activation time): ids alone can be reused after a rollback.
_active_cache: dict[tuple[Any, ...], CriteriaSpec] = {}


def criteria_active_spec() -> CriteriaSpec | None:
    """The active criteria as an engine spec (cached per active version id), or None."""
    # Read for every lead scored: one prepared statement (at most one version is active: a unique
    # constraint), not a queryset compiled each time.
    key = row_values(CriteriaSet, "id, version, activated_at", "status = %s", [CriteriaStatus.ACTIVE.value])
    if key is None:
        return None
    spec = _active_cache.get(key)
    if spec is None:
        spec = criteria_spec_of(CriteriaSet.objects.get(pk=key[0]))
        _active_cache.clear()
        _active_cache[key] = spec
    return spec


def _rule_key(rule: CriteriaRule) -> tuple[Any, ...]:
    return (rule.kind, rule.field, rule.operator)


def _rule_summary(rule: CriteriaRule) -> dict[str, Any]:
    spec = rule_spec_of(rule)
    return {
        "kind": rule.kind,
        "kind_label": rule.get_kind_display(),  # what the pages show ("Fit points", not "fit")
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "points": rule.points,
        "half_life_days": rule.half_life_days,
        "label": rule.label,
        "text": rule_describe(spec),
        "words": rule_in_words(spec),  # the condition in words, whatever the label says
        "effect": points_words(spec),
    }


def _items(field: str, value: Any) -> list[str]:
    values = value if isinstance(value, list | tuple) else [value]
    return [value_shown(field, v) for v in values]


def _differences(before: CriteriaRule, after: CriteriaRule) -> list[dict[str, Any]]:
    """Each attribute of a paired rule that changed, old and new value in words; for lists, what
    was added and removed ("Country: added Mexico; removed Germany")."""
    out: list[dict[str, Any]] = []
    if before.value != after.value:
        old_items, new_items = _items(before.field, before.value), _items(after.field, after.value)
        entry: dict[str, Any] = {
            "what": "Values" if isinstance(after.value, list) else "Value",
            "before": choices_words(old_items, "and") or "(none)",
            "after": choices_words(new_items, "and") or "(none)",
        }
        if isinstance(before.value, list) or isinstance(after.value, list):
            entry["added"] = [i for i in new_items if i not in old_items]
            entry["removed"] = [i for i in old_items if i not in new_items]
        out.append(entry)
    if before.points != after.points:
        out.append({"what": "Points", "before": f"{before.points:+d}", "after": f"{after.points:+d}"})
    if before.half_life_days != after.half_life_days:
        out.append(
            {
                "what": "Half-life",
                "before": f"{before.half_life_days} days" if before.half_life_days else "none",
                "after": f"{after.half_life_days} days" if after.half_life_days else "none",
            }
        )
    if before.label != after.label:
        out.append({"what": "Label", "before": before.label or "(none)", "after": after.label or "(none)"})
    return out


def criteria_diff(old: CriteriaSet, new: CriteriaSet) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: rules added, removed or changed, and the threshold.

    Rules are paired by (kind, field, operator) in order; a paired rule whose value, points,
    half-life or label differ is "changed", with each difference's old and new value in words.
    """
    old_rules = list(old.rules.all())
    new_rules = list(new.rules.all())
    unmatched_old = list(old_rules)
    added, changed = [], []
    for rule in new_rules:
        twin = next((o for o in unmatched_old if _rule_key(o) == _rule_key(rule)), None)
        if twin is None:
            added.append(_rule_summary(rule))
            continue
        unmatched_old.remove(twin)
        differences = _differences(twin, rule)
        if differences:
            changed.append(
                {"before": _rule_summary(twin), "after": _rule_summary(rule), "differences": differences}
            )
    return {
        "old_version": old.version,
        "new_version": new.version,
        "threshold": {"before": old.mql_threshold, "after": new.mql_threshold}
        if old.mql_threshold != new.mql_threshold
        else None,
        "added": added,
        "removed": [_rule_summary(r) for r in unmatched_old],
        "changed": changed,
    }


# How many of the newest leads are read to find the custom fields in use (bounded, whatever the table).
CUSTOM_KEY_SAMPLE = 1000


def custom_field_keys() -> list[str]:
    """The custom field keys rules may use: those on the newest leads and those rules already use."""
    keys: set[str] = set()
    for custom in Lead.objects.order_by("-id").values_list("custom", flat=True)[:CUSTOM_KEY_SAMPLE]:
        if isinstance(custom, dict):
            keys.update(str(k) for k in custom)
    used = CriteriaRule.objects.filter(field__startswith=CUSTOM_PREFIX).values_list("field", flat=True)
    keys.update(f[len(CUSTOM_PREFIX) :] for f in used.distinct())
    return sorted(keys)


def evaluate_lead(
    lead: Lead, *, extra_activities: Iterable[Activity] = (), as_of: datetime | None = None
) -> Evaluation | None:
    """The lead's verdict under the active criteria (None when no version is active)."""
    spec = criteria_active_spec()
    if spec is None:
        return None
    activities = [*lead_activities(lead), *extra_activities]
    return evaluate(spec, lead_record(lead), activities, as_of or timezone.now())


def next_stage(current_stage: str, evaluation: Evaluation) -> str:
    """Where a lead stands after an evaluation: criteria decide only in marketing's stages."""
    if current_stage not in MARKETING_STAGES:
        return current_stage
    return {"mql": Stage.MQL, "nurture": Stage.NURTURE, "disqualified": Stage.DISQUALIFIED}[
        evaluation.decision
    ]


def glossary_entries() -> list[dict[str, Any]]:
    """Every lifecycle stage with its definition and, where criteria decide it, the live rules."""
    active = criteria_active()
    spec = criteria_spec_of(active) if active else None
    fit = [rule_describe(r) + f" ({r.points:+d})" for r in spec.rules if r.kind == "fit"] if spec else []
    engagement = [
        rule_describe(r)
        + f" ({r.points:+d} each"
        + (f", halves every {r.half_life_days} days)" if r.half_life_days else ")")
        for r in (spec.rules if spec else ())
        if r.kind == "engagement"
    ]
    disqualifiers = [rule_describe(r) for r in (spec.rules if spec else ()) if r.kind == "disqualifier"]
    entries = []
    for stage in Stage:
        entry: dict[str, Any] = {
            "stage": stage.value,
            "label": stage.label,
            "definition": STAGE_DEFINITIONS.get(stage.value, ""),
            "rules": [],
        }
        if spec is not None:
            if stage == Stage.MQL:
                entry["rules"] = [f"score ≥ {spec.threshold} and no disqualifier matches"]
                entry["fit"] = fit
                entry["engagement"] = engagement
            elif stage == Stage.NURTURE:
                entry["rules"] = [f"score < {spec.threshold} and no disqualifier matches"]
            elif stage == Stage.DISQUALIFIED:
                entry["rules"] = disqualifiers or ["no disqualifier in the active criteria"]
        entries.append(entry)
    return entries


STAGE_DEFINITIONS = {
    Stage.TARGET: "A person in the target market we have not heard from yet.",
    Stage.INQUIRY: "A person who raised a hand (form, email, import) and has not been scored yet.",
    Stage.MQL: "Marketing-qualified lead: clearly meets the criteria both heads signed off.",
    Stage.SAL: "Sales-accepted lead: a rep accepted the MQL and owns the follow-up.",
    Stage.SQL: "Sales-qualified lead: the rep confirmed a real buying need.",
    Stage.OPPORTUNITY: "A deal with an amount and a close date is being worked.",
    Stage.CUSTOMER: "Bought from us.",
    Stage.LOYAL: "A customer who bought again or renewed.",
    Stage.ADVOCATE: "A customer who recommends us (reference, review, referral).",
    Stage.NURTURE: "Not ready to buy yet: marketing keeps in touch until the score reaches the threshold.",
    Stage.DISQUALIFIED: "Will not be worked: a hard disqualifier in the criteria matched.",
}
