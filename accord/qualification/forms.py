"""Forms for the criteria editor: the draft's settings and its table of rule rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from accord.qualification.engine import NUMERIC_OPERATORS, OPERATORS
from accord.qualification.fields import ACTIVITY_FIELDS, CUSTOM_PREFIX, field_choices
from accord.qualification.models import Operator, RuleKind
from accord.qualification.selectors import custom_field_keys

RULE_INPUTS = ("kind", "field", "operator", "value", "points", "half_life_days", "label")


class CriteriaDraftForm(forms.Form):
    """A draft's name, MQL threshold and notes (the rules come as rows, see ``rule_rows_from_post``)."""

    name = forms.CharField(max_length=200)
    mql_threshold = forms.IntegerField(label="MQL threshold", min_value=-1_000_000, max_value=1_000_000)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"criteria-{name.replace('_', '-')}"


def value_to_text(value: Any) -> str:
    """A rule value as typed in the editor: lists comma-separated."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _value_from_text(operator: str, text: str) -> Any:
    text = text.strip()
    if operator == "in":
        return [item.strip() for item in text.split(",") if item.strip()]
    if operator in NUMERIC_OPERATORS:
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
    return text


def _int_or_text(text: str, default: Any) -> Any:
    text = text.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return text  # the service names the problem


def rule_rows_from_post(data: QueryDict) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The editor's rows as typed (for re-display) and as rule dicts for the service.

    Rows are ``rules-<n>-<input>`` with ``rules-total``; a ticked ``rules-<n>-delete`` drops a row and
    an entirely blank row is ignored.
    """
    try:
        total = min(int(data.get("rules-total", "0")), 500)
    except ValueError:
        total = 0
    rows: list[dict[str, str]] = []
    rules: list[dict[str, Any]] = []
    for n in range(total):
        row = {name: data.get(f"rules-{n}-{name}", "") for name in RULE_INPUTS}
        if data.get(f"rules-{n}-delete"):
            continue
        if not any(row[k].strip() for k in ("field", "value", "label")) and not row["points"].strip():
            continue
        rows.append(row)
        rules.append(
            {
                "kind": row["kind"],
                "field": row["field"].strip(),
                "operator": row["operator"],
                "value": _value_from_text(row["operator"], row["value"]),
                "points": _int_or_text(row["points"], 0),
                "half_life_days": _int_or_text(row["half_life_days"], None),
                "label": row["label"].strip(),
            }
        )
    return rows, rules


def rule_rows_from_rules(rules: Any) -> list[dict[str, str]]:
    return [
        {
            "kind": r.kind,
            "field": r.field,
            "operator": r.operator,
            "value": value_to_text(r.value),
            "points": str(r.points),
            "half_life_days": "" if r.half_life_days is None else str(r.half_life_days),
            "label": r.label,
        }
        for r in rules
    ]


def blank_row() -> dict[str, str]:
    return {
        "kind": "fit",
        "field": "",
        "operator": "equals",
        "value": "",
        "points": "",
        "half_life_days": "",
        "label": "",
    }


def editor_choices() -> dict[str, Any]:
    """Choices for the rule table's selects: catalogue fields, activity fields and the custom fields
    leads carry (``custom.<key>``)."""
    operator_labels = dict(Operator.choices)
    return {
        "kinds": RuleKind.choices,
        "operators": [(op, operator_labels.get(op, op)) for op in OPERATORS],
        "fields": field_choices()
        + [(name, f"activity {label}") for name, label in ACTIVITY_FIELDS.items()]
        + [(f"{CUSTOM_PREFIX}{key}", f"custom field {key}") for key in custom_field_keys()],
    }
