"""The routing engine: ordered rules against one lead record, and the weighted round-robin pick. Pure
Python, no database.

A rule matches when all of its conditions hold; the first matching rule in order wins. Conditions
compare the same way as qualification criteria (``accord.qualification.engine``): text is trimmed
and compared without case, numbers compare as numbers, a missing value only satisfies ``absent``
and ``not_equals``. Routing adds two fields criteria do not have: ``score`` and ``stage``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.qualification.engine import (
    PreparedRule,
    RuleInvalid,
    RuleSpec,
    condition_holds,
    rule_prepare,
    rule_validate,
)
from accord.qualification.fields import CUSTOM_PREFIX, FIELDS, lead_record

if TYPE_CHECKING:
    from accord.leads.models import Lead

OPERATORS = ("equals", "not_equals", "in", "contains", "gt", "gte", "lt", "lte", "present", "absent")
VALUELESS_OPERATORS = frozenset({"present", "absent"})
# Fields beyond the qualification catalogue that routing rules may use.
EXTRA_FIELDS = ("score", "stage")
OPERATOR_WORDS = {
    "equals": "=",
    "not_equals": "≠",
    "in": "in",
    "contains": "contains",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "present": "is present",
    "absent": "is absent",
}

__all__ = ["RuleInvalid"]


def routing_fields() -> list[str]:
    """Every field a routing condition may name (plus ``custom.<key>``)."""
    return [*FIELDS, *EXTRA_FIELDS]


def condition_validate(raw: Any) -> dict[str, Any]:
    """One condition cleaned to ``{"field", "operator", "value"}``; raises RuleInvalid when bad."""
    if not isinstance(raw, Mapping):
        raise RuleInvalid("a condition needs field, operator and value", attribute="conditions")
    field = str(raw.get("field") or "").strip()
    operator = str(raw.get("operator") or "").strip()
    value = raw.get("value", "")
    if (
        field not in FIELDS
        and field not in EXTRA_FIELDS
        and not (field.startswith(CUSTOM_PREFIX) and len(field) > len(CUSTOM_PREFIX))
    ):
        raise RuleInvalid(
            f"unknown field {field!r}; allowed: {', '.join(routing_fields())}, or custom.<key>",
            attribute="field",
        )
    if operator not in OPERATORS:
        raise RuleInvalid(f"operator must be one of {', '.join(OPERATORS)}", attribute="operator")
    # The value rules do not depend on the field: the qualification validator cleans it the same way
    # for both engines ("title" stands in for any field here).
    cleaned = rule_validate(
        kind="fit", field="title", operator=operator, value=value, points=0, half_life_days=None
    )
    return {"field": field, "operator": operator, "value": cleaned}


def conditions_validate(raw: Any) -> list[dict[str, Any]]:
    """A rule's list of conditions, each cleaned; raises RuleInvalid naming the first bad one."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise RuleInvalid("conditions must be a list", attribute="conditions")
    cleaned = []
    for number, item in enumerate(raw, start=1):
        try:
            cleaned.append(condition_validate(item))
        except RuleInvalid as exc:
            raise RuleInvalid(f"condition {number}: {exc.message}", attribute=exc.attribute) from None
    return cleaned


@dataclass(frozen=True)
class Condition:
    """One prepared condition."""

    field: str
    operator: str
    value: Any
    prepared: PreparedRule

    def holds(self, record: Mapping[str, Any]) -> bool:
        return condition_holds(self.prepared, record.get(self.field))

    def describe(self) -> str:
        """e.g. "industry = Healthcare", "country in [DE, AT]", "score ≥ 60"."""
        words = f"{self.field} {OPERATOR_WORDS[self.operator]}"
        if self.operator in VALUELESS_OPERATORS:
            return words
        return f"{words} {_value_words(self.value)}"


def _value_words(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_words(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def condition_prepare(raw: Mapping[str, Any]) -> Condition:
    value = raw.get("value", "")
    spec_value = tuple(value) if isinstance(value, list) else value
    spec = RuleSpec(
        id=0, kind="fit", field=raw["field"], operator=raw["operator"], value=spec_value, points=0
    )
    return Condition(raw["field"], raw["operator"], value, rule_prepare(spec))


@dataclass(frozen=True)
class RuleView:
    """One routing rule as the engine sees it: its number in order, name, conditions and target."""

    id: int
    number: int
    name: str
    conditions: tuple[Condition, ...]
    target: str

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(condition.holds(record) for condition in self.conditions)

    def describe_conditions(self) -> str:
        if not self.conditions:
            return "every lead"
        return " and ".join(condition.describe() for condition in self.conditions)

    def explain(self) -> str:
        """e.g. "rule 3 'Healthcare': industry = Healthcare → team Team Health"."""
        return f"rule {self.number} '{self.name}': {self.describe_conditions()} → {self.target}"


def rule_view(
    *, id: int, number: int, name: str, conditions: Iterable[Mapping[str, Any]], target: str
) -> RuleView:
    return RuleView(id, number, name, tuple(condition_prepare(c) for c in conditions), target)


def first_match(rules: Sequence[RuleView], record: Mapping[str, Any]) -> RuleView | None:
    """The first rule, in order, whose conditions all hold."""
    for rule in rules:
        if rule.matches(record):
            return rule
    return None


def all_matches(rules: Sequence[RuleView], record: Mapping[str, Any]) -> list[RuleView]:
    """Every rule whose conditions hold (more than one is an overlap)."""
    return [rule for rule in rules if rule.matches(record)]


def routing_record(lead: Lead) -> dict[str, Any]:
    """The fields of a lead that routing conditions may use: the criteria fields, score and stage."""
    record = lead_record(lead)
    record["score"] = lead.score
    record["stage"] = lead.stage or None
    return record


def smooth_weighted_pick(weights: dict[int, int], credits: dict[str, int]) -> int:
    """Smooth weighted round-robin (as in nginx): each candidate gains its weight, the richest is
    picked (lowest id on a tie) and pays the total. Equal weights give a strict rotation; over any
    run each rep's share stays within one lead of its weight's share. ``credits`` is updated."""
    total = sum(weights.values())
    for user_id, weight in weights.items():
        credits[str(user_id)] = int(credits.get(str(user_id), 0)) + weight
    chosen = max(weights, key=lambda uid: (credits[str(uid)], -uid))
    credits[str(chosen)] -= total
    return chosen
