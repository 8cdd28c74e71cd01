"""Criteria rules in words people read before they sign: "Title contains the word VP, Director, Head or
Chief" rather than a regular expression and an internal field name.

Only the pages and the API's ``words`` use this; the explanations stored on leads keep
``engine.rule_describe`` (both engines must write them identically).
"""

from __future__ import annotations

import re
from typing import Any

from accord.core.geography import country_code, country_name, region_code, region_name
from accord.qualification.engine import RuleSpec
from accord.qualification.fields import COUNTRY_FIELDS, CUSTOM_PREFIX, REGION_FIELDS, field_label

MAX_LISTED = 8

# A pattern of plain words between optional word edges: (^|[^a-z])(vp|director)([^a-z]|$), \b(a|b)\b,
# ^(a|b)$, ...
_EDGE_START = r"(?:\^|\\b|\(\^\|\[\^a-z(?:0-9)?\]\)|\(\?:\^\|\[\^a-z(?:0-9)?\]\)|\(\^\|\\W\)|\[\^a-z\])?"
_EDGE_END = r"(?:\$|\\b|\(\[\^a-z(?:0-9)?\]\|\$\)|\(\?:\[\^a-z(?:0-9)?\]\|\$\)|\(\\W\|\$\)|\[\^a-z\])?"
_WORDS = r"\(?(?:\?:)?([a-z0-9 &'.\-]+(?:\|[a-z0-9 &'.\-]+)*)\)?"
_SIMPLE_PATTERN = re.compile(rf"^({_EDGE_START}){_WORDS}({_EDGE_END})$", re.IGNORECASE)


def field_words(field: str) -> str:
    """A field as people call it: "Company size", "Account industry", "Custom field “budget”"."""
    if field.startswith(CUSTOM_PREFIX):
        return f"Custom field “{field[len(CUSTOM_PREFIX) :]}”"
    label = field_label(field)
    return label[:1].upper() + label[1:]


def value_shown(field: str, value: Any) -> str:
    """One rule value as people read it: a country's name, a region's name, an activity in words."""
    text = str(value)
    if field in COUNTRY_FIELDS:
        code = country_code(text)
        return country_name(code) if code else text
    if field in REGION_FIELDS:
        code = region_code(text)
        return region_name(code) if code else text
    if field == "activity":
        return text.replace("_", " ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text


def choices_words(items: list[str], conjunction: str = "or") -> str:
    """ "A, B or C"; a long list ends with "and 4 more"."""
    if len(items) > MAX_LISTED:
        return ", ".join(items[:MAX_LISTED]) + f" {conjunction} {len(items) - MAX_LISTED} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def pattern_words(pattern: str) -> str | None:
    """Words for a pattern that is only a choice of plain words, else None.

    "(^|[^a-z])(vp|vice president|director)([^a-z]|$)" -> "contains the word VP, Vice president or
    Director"; "^(ceo|cfo)$" -> "is CEO or CFO"; "^dr" -> "starts with “dr”".
    """
    match = _SIMPLE_PATTERN.match(pattern.strip())
    if match is None:
        return None
    start, words, end = match.group(1), match.group(2), match.group(3)
    raw = [w.strip() for w in words.split("|") if w.strip()]
    if not raw:
        return None
    listed = choices_words([_word_case(w) for w in raw])
    quoted = choices_words([f"“{w}”" for w in raw])
    if start == "^" and end == "$":
        return f"is {listed}"
    if start == "^" and not end:
        return f"starts with {quoted}"
    if end == "$" and not start:
        return f"ends with {quoted}"
    if start or end:
        return f"contains the word{'s' if len(raw) > 1 else ''} {listed}"
    return f"contains {quoted}"


def _word_case(word: str) -> str:
    """Short words are most likely abbreviations (VP, CEO); longer ones read as written, capitalised."""
    if len(word) <= 3 and word.isalpha():
        return word.upper()
    return word[:1].upper() + word[1:]


def rule_in_words(rule: RuleSpec) -> str:
    """The rule's condition as a sentence, whatever its label says."""
    subject = field_words(rule.field)
    op, value = rule.operator, rule.value
    if op == "present":
        return f"{subject} is filled in"
    if op == "absent":
        return f"{subject} is empty"
    if op == "in":
        items = [value_shown(rule.field, v) for v in (value if isinstance(value, list | tuple) else [value])]
        return f"{subject} is {choices_words(items)}"
    if op == "regex":
        words = pattern_words(str(value))
        return f"{subject} {words}" if words else f"{subject} matches the pattern “{value}”"
    shown = value_shown(rule.field, value)
    return {
        "equals": f"{subject} is {shown}",
        "not_equals": f"{subject} is not {shown}",
        "contains": f"{subject} contains “{shown}”",
        "gt": f"{subject} is more than {shown}",
        "gte": f"{subject} is {shown} or more",
        "lt": f"{subject} is less than {shown}",
        "lte": f"{subject} is {shown} or less",
    }.get(op, f"{subject} {op} {shown}")


def points_words(rule: RuleSpec) -> str:
    """What a matching rule does: "+20 points", "-20 points", "disqualifies", "+35 per activity, halving
    every 30 days"."""
    if rule.kind == "disqualifier":
        return "disqualifies the lead"
    amount = f"{rule.points:+d} point{'s' if abs(rule.points) != 1 else ''}"
    if rule.kind == "engagement":
        amount += " per activity"
        if rule.half_life_days:
            amount += f", halving every {rule.half_life_days} day{'s' if rule.half_life_days != 1 else ''}"
    return amount
