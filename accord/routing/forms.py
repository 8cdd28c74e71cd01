"""Forms for the routing editor: one rule with its conditions written one per line."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.people.models import Role, Team, User
from accord.routing.engine import OPERATORS, VALUELESS_OPERATORS
from accord.routing.models import Queue, TargetKind

CONDITIONS_HELP = (
    'One condition per line: field operator value, e.g. "industry equals Healthcare", '
    '"country in DE, AT, CH", "company_size gte 200", "custom.region present". '
    f"Operators: {', '.join(OPERATORS)}. Leave empty to match every lead."
)


def conditions_parse(text: str) -> list[dict[str, Any]]:
    """Lines of "field operator value" as condition dicts; raises ValidationError naming the line."""
    conditions = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise forms.ValidationError(
                f"Line {number}: write field, operator and value, e.g. 'country equals DE'."
            )
        field, operator = parts[0], parts[1]
        value: Any = parts[2].strip() if len(parts) == 3 else ""
        if operator == "in":
            value = [item.strip() for item in value.split(",") if item.strip()]
        elif operator in VALUELESS_OPERATORS:
            value = ""
        conditions.append({"field": field, "operator": operator, "value": value})
    return conditions


def conditions_format(conditions: list[dict[str, Any]]) -> str:
    """The editor's text for stored conditions (the inverse of conditions_parse)."""
    lines = []
    for c in conditions:
        value = c.get("value", "")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        lines.append(f"{c['field']} {c['operator']} {value}".strip())
    return "\n".join(lines)


class RuleForm(forms.Form):
    """Add a rule to a draft."""

    name = forms.CharField(label="Name", max_length=120)
    conditions = forms.CharField(
        label="Conditions",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=CONDITIONS_HELP,
    )
    target_kind = forms.ChoiceField(choices=TargetKind.choices, label="Send to")
    # Empty choices say what leaving them empty means (not Django's "---------").
    target_user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Rep",
        empty_label="— a rep, when sending to a rep —",
    )
    target_team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        label="Team",
        empty_label="— a team, when sending to a team —",
    )
    target_queue = forms.ModelChoiceField(
        queryset=Queue.objects.all(),
        required=False,
        label="Queue",
        empty_label="— a queue, when sending to a queue —",
    )
    weighted = forms.BooleanField(
        label="Weighted", required=False, help_text="Weighted round-robin (team only)."
    )
    position = forms.IntegerField(
        label="Position", min_value=1, required=False, help_text="Where in the order (empty: last)."
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["target_user"].queryset = (
            User.objects.filter(
                is_active=True, roles__role__in=[Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD]
            )
            .distinct()
            .order_by("username")
        )

    def clean_conditions(self) -> list[dict[str, Any]]:
        return conditions_parse(self.cleaned_data.get("conditions") or "")
