"""The per-record qualification engine: one lead's fields and activities against one criteria version.

Pure Python, no database. ``accord.qualification.bulk`` evaluates the same semantics over a whole
table with polars; both share the constants prepared here (normalised values, compiled patterns,
decay factors) and the one explanation function, so their answers are identical. The semantics are
written down in ``docs/qualification.md``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from accord.core.geography import country_code, region_code
from accord.qualification.fields import (
    ACTIVITY_FIELDS,
    COUNTRY_FIELDS,
    REGION_FIELDS,
    field_label,
    field_validate,
)

KINDS = ("fit", "engagement", "disqualifier")
OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "contains",
    "regex",
    "gt",
    "gte",
    "lt",
    "lte",
    "present",
    "absent",
)
NUMERIC_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
VALUELESS_OPERATORS = frozenset({"present", "absent"})
DECISIONS = ("mql", "nurture", "disqualified")
MAX_HALF_LIFE_DAYS = 36_500

# Unicode White_Space: what Rust (polars) strips. Python's str.strip() also strips U+001C..U+001F,
# so both engines strip exactly this set instead.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def _lowercase_fixes() -> dict[int, int]:
    # Capital letters added in Unicode 15/16: polars (Rust) lower-cases them, Python 3.11
    # (Unicode 14) does not. Both engines map them first so text compares the same everywhere.
    fixes = {0x1C89: 0x1C8A, 0xA7CB: 0x0264, 0xA7CC: 0xA7CD, 0xA7CE: 0xA7CF, 0xA7D2: 0xA7D3}
    fixes.update({0xA7D4: 0xA7D5, 0xA7DA: 0xA7DB, 0xA7DC: 0x019B})
    fixes.update({c: c + 0x20 for c in range(0x10D50, 0x10D66)})
    fixes.update({c: c + 0x1B for c in range(0x16EA0, 0x16EB9)})
    return fixes


LOWERCASE_FIXES: dict[int, int] = _lowercase_fixes()
# Rust lower-cases a word-final capital sigma to final sigma (U+03C2), Python always to U+03C3:
# both engines fold U+03C2 to U+03C3.
FINAL_SIGMA, SIGMA = "\u03c2", "\u03c3"
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_NUMBER_RE = re.compile(NUMBER_PATTERN)


class RuleInvalid(ValueError):
    """A rule that cannot be evaluated; ``attribute`` names the rule attribute at fault."""

    def __init__(self, message: str, *, attribute: str):
        super().__init__(message)
        self.message = message
        self.attribute = attribute


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the engines see it (lists in ``value`` are tuples)."""

    id: int
    kind: str
    field: str
    operator: str
    value: Any
    points: int
    half_life_days: int | None = None
    label: str = ""


@dataclass(frozen=True)
class CriteriaSpec:
    """One criteria version as the engines see it."""

    id: int
    version: int
    threshold: int
    rules: tuple[RuleSpec, ...]


@dataclass(frozen=True)
class Activity:
    """Something a lead did (a form fill, a demo request), from the event log."""

    kind: str
    channel: str
    occurred_at: datetime


@dataclass(frozen=True)
class Evaluation:
    """The verdict for one lead under one criteria version."""

    version: int
    criteria_id: int
    fit: int
    engagement: int
    score: int
    decision: str
    matched: tuple[tuple[int, int], ...]
    explanation: str


def evaluation_payload(evaluation: Evaluation) -> dict[str, Any]:
    """The verdict as the intake and scoring events record it."""
    return {
        "version": evaluation.version,
        "fit": evaluation.fit,
        "engagement": evaluation.engagement,
        "score": evaluation.score,
        "decision": evaluation.decision,
        "explanation": evaluation.explanation,
    }


# --- normalisation shared by both engines ------------------------------------------------------


def normalise_text(value: Any) -> str | None:
    """The comparable form of a value: stripped, lower-cased; None when absent."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip(WHITESPACE)
    if not text:
        return None
    return text.translate(LOWERCASE_FIXES).lower().replace(FINAL_SIGMA, SIGMA)


def lower_text(text: str) -> str:
    """Lower-case without stripping (used for patterns)."""
    return text.translate(LOWERCASE_FIXES).lower().replace(FINAL_SIGMA, SIGMA)


def number_of(text: str | None) -> float | None:
    """The number a normalised value spells, or None when it is not a plain decimal number."""
    if text is None or not _NUMBER_RE.match(text):
        return None
    return float(text)


def decay_factor(age_days: int, half_life_days: int | None) -> float:
    """2 ** (-age / half-life); 1 when the rule does not decay. Both engines use this function."""
    if not half_life_days:
        return 1.0
    return 2.0 ** (-max(age_days, 0) / half_life_days)


def age_in_days(as_of: datetime, occurred_at: datetime) -> int:
    """Whole days between an activity and the evaluation time (never negative)."""
    return max((as_of - occurred_at) // timedelta(days=1), 0)


def centi_points(points: int, factor: float) -> int:
    """One activity's contribution in hundredths of a point, rounded half up."""
    return math.floor(points * 100 * factor + 0.5)


def points_from_centi(centi: int) -> int:
    return (centi + 50) // 100


# --- patterns ------------------------------------------------------------------------------------

# Escapes that mean the same in Python `re` and Rust `regex`. Shorthand classes (\d \w \s \b) are
# left out on purpose: the two engines disagree about which Unicode characters they match.
_SAFE_ESCAPES = frozenset(".^$*+?()[]{}|\\/-nt")
_QUANTIFIER_RE = re.compile(r"\{(\d+)(,(\d*))?\}")


def pattern_validate(pattern: str, *, check_polars: bool = True) -> str:
    """Check that a pattern means the same in both engines; returns the lower-cased pattern to run.

    Raises RuleInvalid naming the construct that is not supported.
    """
    if not isinstance(pattern, str) or not pattern:
        raise RuleInvalid("a pattern is required", attribute="value")
    i, n = 0, len(pattern)
    can_repeat = False  # is there something before this point that a quantifier may repeat?
    after_quantifier = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt not in _SAFE_ESCAPES or not nxt:
                raise RuleInvalid(
                    f"\\{nxt} is not supported in patterns: only escaped punctuation, \\n and \\t are "
                    "(no back-references or shorthand classes like \\d, \\w, \\s, \\b; write [0-9] or [a-z])",
                    attribute="value",
                )
            i += 2
            can_repeat, after_quantifier = True, False
            continue
        if ch == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                raise RuleInvalid(
                    "lookahead/lookbehind, atomic groups, named groups, inline flags and comments are not "
                    "supported in patterns; only plain (...) and (?:...) groups are",
                    attribute="value",
                )
            i += 3 if pattern.startswith("(?:", i) else 1
            can_repeat, after_quantifier = False, False
            continue
        if ch == "[":
            i = _class_end(pattern, i)
            can_repeat, after_quantifier = True, False
            continue
        if ch in "*+?{":
            if ch == "{":
                m = _QUANTIFIER_RE.match(pattern, i)
                if not m:
                    raise RuleInvalid("a literal { must be written \\{ in patterns", attribute="value")
                low, high = int(m.group(1)), m.group(3)
                if low > 1000 or (high and (int(high) > 1000 or int(high) < low)):
                    raise RuleInvalid("repetition counts must be 0..1000 and in order", attribute="value")
                length = m.end() - i
            else:
                length = 1
            if after_quantifier:
                if ch == "?":
                    # a lazy quantifier (a*?) finds a match exactly when the greedy one does
                    i += 1
                    after_quantifier = False
                    can_repeat = False
                    continue
                raise RuleInvalid(
                    "possessive or repeated quantifiers (a*+, a++, a**) are not supported", attribute="value"
                )
            if not can_repeat:
                raise RuleInvalid(f"nothing to repeat before {ch!r} in the pattern", attribute="value")
            i += length
            after_quantifier = True
            continue
        if ch in "]}":
            raise RuleInvalid(f"a literal {ch} must be written \\{ch} in patterns", attribute="value")
        can_repeat = ch not in "^$|("
        after_quantifier = False
        i += 1
    lowered = lower_text(pattern)
    try:
        re.compile(lowered)
    except re.error as exc:
        raise RuleInvalid(f"the pattern is not valid: {exc}", attribute="value") from None
    if not check_polars:
        return lowered
    try:
        import polars as pl

        pl.Series([""], dtype=pl.String).str.contains(lowered)
    except Exception as exc:  # polars raises ComputeError for a pattern its engine rejects
        raise RuleInvalid(
            f"the pattern is not valid: {str(exc).splitlines()[0]}", attribute="value"
        ) from None
    return lowered


def _class_end(pattern: str, start: int) -> int:
    """Index just after the character class opening at ``start``; refuses engine-specific syntax."""
    i = start + 1
    n = len(pattern)
    if i < n and pattern[i] == "^":
        i += 1
    if i < n and pattern[i] == "]":
        raise RuleInvalid("write \\] for a literal ] inside [...]", attribute="value")
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt not in _SAFE_ESCAPES or not nxt:
                raise RuleInvalid(
                    f"\\{nxt} is not supported inside [...]: escape only punctuation, or use \\n and \\t",
                    attribute="value",
                )
            i += 2
            continue
        if ch == "[":
            raise RuleInvalid(
                "write \\[ for a literal [ inside [...] (no nested or POSIX classes)", attribute="value"
            )
        if ch == "]":
            return i + 1
        if pattern.startswith(("&&", "--", "~~", "||"), i):
            raise RuleInvalid(
                f"{pattern[i : i + 2]!r} inside [...] means different things in the two engines; escape it",
                attribute="value",
            )
        i += 1
    raise RuleInvalid("a [ in the pattern is never closed", attribute="value")


# --- rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedRule:
    """A rule with its constant side normalised once: what both engines compare against."""

    rule: RuleSpec
    needle: str | None = None
    needles: tuple[str, ...] = ()
    pattern: str | None = None
    number: float | None = None


def rule_validate(
    *, kind: str, field: str, operator: str, value: Any, points: Any, half_life_days: Any
) -> Any:
    """Check one rule; returns its cleaned value. Raises RuleInvalid naming the attribute at fault."""
    if kind not in KINDS:
        raise RuleInvalid(f"kind must be one of {', '.join(KINDS)}", attribute="kind")
    if kind == "engagement":
        if field not in ACTIVITY_FIELDS:
            raise RuleInvalid(
                f"engagement rules look at activities: field must be one of {', '.join(ACTIVITY_FIELDS)}",
                attribute="field",
            )
    else:
        try:
            field_validate(field)
        except ValueError as exc:
            raise RuleInvalid(str(exc), attribute="field") from None
    if operator not in OPERATORS:
        raise RuleInvalid(f"operator must be one of {', '.join(OPERATORS)}", attribute="operator")
    if isinstance(points, bool) or not isinstance(points, int):
        raise RuleInvalid("points must be a whole number", attribute="points")
    if abs(points) > 1_000_000:
        raise RuleInvalid("points must be between -1000000 and 1000000", attribute="points")
    if half_life_days is not None:
        if isinstance(half_life_days, bool) or not isinstance(half_life_days, int) or half_life_days < 1:
            raise RuleInvalid(
                "half-life must be a whole number of days, at least 1", attribute="half_life_days"
            )
        if half_life_days > MAX_HALF_LIFE_DAYS:
            # A century is "never decays" already; larger numbers do not fit the column.
            raise RuleInvalid(
                f"half-life must be at most {MAX_HALF_LIFE_DAYS} days", attribute="half_life_days"
            )
        if kind != "engagement":
            raise RuleInvalid(
                "only engagement rules decay; leave half-life empty", attribute="half_life_days"
            )
    cleaned = _value_clean(operator, value)
    if field in COUNTRY_FIELDS:
        _countries_check(operator, cleaned)
    return cleaned


PLACE_OPERATORS = frozenset({"equals", "not_equals", "in", "present", "absent"})


def _countries_check(operator: str, value: Any) -> None:
    """Country rules compare ISO codes, so every value must be a country the table knows."""
    if operator not in PLACE_OPERATORS:
        raise RuleInvalid(
            "compare countries with 'equals', 'does not equal' or 'is one of' (countries are matched "
            "as ISO codes, whatever way a lead wrote them)",
            attribute="operator",
        )
    values = value if isinstance(value, list | tuple) else ([value] if operator != "present" else [])
    unknown = [str(v) for v in values if operator not in VALUELESS_OPERATORS and country_code(str(v)) is None]
    if unknown:
        raise RuleInvalid(
            f"unknown countr{'y' if len(unknown) == 1 else 'ies'} {', '.join(repr(u) for u in unknown)}: "
            "use a country's name or its ISO code (US, USA, United States)",
            attribute="value",
        )


def place_value(field: str, value: Any) -> Any:
    """A rule's value as the records hold it: countries as ISO 3166-1 codes, regions as ISO 3166-2
    codes where recognised, anything else unchanged."""
    if isinstance(value, list | tuple):
        return [place_value(field, v) for v in value]
    if not isinstance(value, str):
        return value
    if field in COUNTRY_FIELDS:
        return country_code(value) or value
    if field in REGION_FIELDS:
        return region_code(value) or value
    return value


def _value_clean(operator: str, value: Any) -> Any:
    if operator in VALUELESS_OPERATORS:
        return ""
    if operator == "in":
        if not isinstance(value, list | tuple) or not value:
            raise RuleInvalid("'in' needs a non-empty list of values", attribute="value")
        items = []
        for item in value:
            if (
                isinstance(item, bool)
                or not isinstance(item, str | int | float)
                or normalise_text(item) is None
            ):
                raise RuleInvalid(
                    "every value in the list must be non-empty text or a number", attribute="value"
                )
            items.append(item)
        return items
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RuleInvalid("the value must be text or a number", attribute="value")
    if operator in NUMERIC_OPERATORS:
        number = value if isinstance(value, int | float) else number_of(normalise_text(value))
        if number is None or not math.isfinite(number):
            raise RuleInvalid("comparisons need a number, e.g. 200 or 2.5", attribute="value")
        return value if isinstance(value, int | float) else float(number)
    if operator == "regex":
        pattern_validate(str(value))
        return value
    if normalise_text(value) is None:
        raise RuleInvalid("a value is required", attribute="value")
    return value


def rule_prepare(rule: RuleSpec) -> PreparedRule:
    """The constants both engines compare a rule's field against (cached per rule)."""
    try:
        return _rule_prepare_cached(rule)
    except TypeError:  # a list value makes the rule unhashable
        return _rule_prepare(rule)


def _rule_prepare(rule: RuleSpec) -> PreparedRule:
    op = rule.operator
    if op in ("equals", "not_equals"):
        return PreparedRule(rule, needle=normalise_text(place_value(rule.field, rule.value)) or "")
    if op == "contains":
        return PreparedRule(rule, needle=normalise_text(rule.value) or "")
    if op == "in":
        values = place_value(rule.field, list(rule.value))
        needles = tuple(dict.fromkeys(t for t in (normalise_text(v) for v in values) if t is not None))
        return PreparedRule(rule, needles=needles)
    if op == "regex":
        # the pattern was checked against both engines when the rule was saved
        return PreparedRule(rule, pattern=pattern_validate(str(rule.value), check_polars=False))
    if op in NUMERIC_OPERATORS:
        number = rule.value if isinstance(rule.value, int | float) else number_of(normalise_text(rule.value))
        return PreparedRule(rule, number=float(number) if number is not None else None)
    return PreparedRule(rule)


_rule_prepare_cached = functools.lru_cache(maxsize=4096)(_rule_prepare)


def condition_holds(prepared: PreparedRule, raw: Any) -> bool:
    """Whether one value satisfies a prepared rule's condition."""
    text = normalise_text(raw)
    op = prepared.rule.operator
    if op == "present":
        return text is not None
    if op == "absent":
        return text is None
    if op == "not_equals":
        return text is None or text != prepared.needle
    if text is None:
        return False
    if op == "equals":
        return text == prepared.needle
    if op == "in":
        return text in prepared.needles
    if op == "contains":
        return prepared.needle in text  # type: ignore[operator]
    if op == "regex":
        return re.search(prepared.pattern, text) is not None  # type: ignore[arg-type]
    number = number_of(text)
    if number is None or prepared.number is None:
        return False
    if op == "gt":
        return number > prepared.number
    if op == "gte":
        return number >= prepared.number
    if op == "lt":
        return number < prepared.number
    return number <= prepared.number


# --- evaluation -----------------------------------------------------------------------------------


def evaluate(
    spec: CriteriaSpec, record: Mapping[str, Any], activities: Sequence[Activity], as_of: datetime
) -> Evaluation:
    """Score one lead: fit from its fields, engagement from its activities (with decay)."""
    fit = 0
    disqualified = False
    total_centi = 0
    matched: list[tuple[int, int]] = []
    counts: dict[int, int] = {}
    ages = [age_in_days(as_of, a.occurred_at) for a in activities]
    for rule in spec.rules:
        prepared = rule_prepare(rule)
        if rule.kind == "engagement":
            centi = 0
            count = 0
            for activity, age in zip(activities, ages, strict=True):
                value = activity.kind if rule.field == "activity" else activity.channel
                if condition_holds(prepared, value):
                    count += 1
                    centi += centi_points(rule.points, decay_factor(age, rule.half_life_days))
            if count:
                total_centi += centi
                matched.append((rule.id, points_from_centi(centi)))
                counts[rule.id] = count
        elif condition_holds(prepared, record.get(rule.field)):
            if rule.kind == "fit":
                fit += rule.points
                matched.append((rule.id, rule.points))
            else:
                disqualified = True
                matched.append((rule.id, 0))
    engagement = points_from_centi(total_centi)
    score = fit + engagement
    decision = decide(spec, score, disqualified)
    return Evaluation(
        version=spec.version,
        criteria_id=spec.id,
        fit=fit,
        engagement=engagement,
        score=score,
        decision=decision,
        matched=tuple(matched),
        explanation=explain(spec, tuple(matched), fit, engagement, score, decision, activity_counts=counts),
    )


def decide(spec: CriteriaSpec, score: int, disqualified: bool) -> str:
    if disqualified:
        return "disqualified"
    return "mql" if score >= spec.threshold else "nurture"


# --- explanations -------------------------------------------------------------------------------------

_OPERATOR_WORDS = {
    "equals": "is",
    "not_equals": "is not",
    "in": "is one of",
    "contains": "contains",
    "regex": "matches",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "present": "is present",
    "absent": "is absent",
}


def _value_words(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_words(v) for v in value) + "]"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rule_describe(rule: RuleSpec) -> str:
    """A rule in plain words: its label when set, else e.g. "title contains 'VP'"."""
    if rule.label.strip():
        return rule.label.strip()
    words = f"{field_label(rule.field)} {_OPERATOR_WORDS.get(rule.operator, rule.operator)}"
    if rule.operator in VALUELESS_OPERATORS:
        return words
    return f"{words} {_value_words(rule.value)}"


def _signed(points: int) -> str:
    return f"{points:+d}"


def explain(
    spec: CriteriaSpec,
    matched: Sequence[tuple[int, int]],
    fit: int,
    engagement: int,
    score: int,
    decision: str,
    *,
    activity_counts: Mapping[int, int] | None = None,
) -> str:
    """The one explanation text, built the same way for both engines.

    e.g. "title contains 'VP' +20; demo request (2 activities, decayed) +24; score 44 < 60: nurture".
    """
    rules = {r.id: r for r in spec.rules}
    counts = activity_counts or {}
    parts: list[str] = []
    disqualifiers: list[str] = []
    for rule_id, points in matched:
        rule = rules[rule_id]
        if rule.kind == "disqualifier":
            disqualifiers.append(rule_describe(rule))
        elif rule.kind == "engagement":
            count = counts.get(rule_id, 0)
            detail = f"{count} activit{'y' if count == 1 else 'ies'}"
            if rule.half_life_days:
                detail += ", decayed"
            parts.append(f"{rule_describe(rule)} ({detail}) {_signed(points)}")
        else:
            parts.append(f"{rule_describe(rule)} {_signed(points)}")
    if not parts:
        parts.append("no scoring rule matched")
    if decision == "disqualified":
        parts.append(f"score {score}")
        return "; ".join(parts) + "; disqualified: " + "; ".join(disqualifiers)
    if score >= spec.threshold:
        parts.append(f"score {score} ≥ {spec.threshold}: MQL")
    else:
        parts.append(f"score {score} < {spec.threshold}: nurture")
    return "; ".join(parts)
