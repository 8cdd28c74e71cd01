"""Column mapping: which lead field each column of an import file feeds (defaults from the header,
explicit mappings from the mapping page) and the plan the engine reads rows with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from accord.core.csv_safe import csv_unescape_user_cell
from accord.core.errors import ApplicationError
from accord.intake.importing.reading import ImportFileError
from accord.leads.normalize import (
    AMOUNT_FIELDS,
    CUSTOM_KEY_RE,
    INTEGER_FIELDS,
    MAX_CUSTOM_FIELDS,
    TEXT_FIELDS,
    custom_key,
    resolve_field,
)

# The columns the error file adds after the file's own (which come first, as they were), so a
# corrected error file can be imported again as it is: an import skips these when a file ends with them.
ERROR_COLUMNS = ("error_row", "error_line", "error_column", "error", "how_to_fix")


# Fields a column may feed, for the mapping page and explicit mappings ("" = skip the column).
MAPPING_TARGETS: dict[str, str] = {
    **{name: name.replace("_", " ") for name in TEXT_FIELDS},
    **{name: name.replace("_", " ") for name in INTEGER_FIELDS},
    **{name: name.replace("_", " ") for name in AMOUNT_FIELDS},
    "campaign_ref": "campaign (id, Salesforce Campaign_ID or utm_campaign)",
    "member_status": "campaign member status",
    "custom_json": "custom fields as JSON (Accord's own export)",
    "consent": "consent (yes/no)",
    "consent_at": "consent date",
    "email_opt_out": "email opt-out (yes/no)",
    "activity": "activity (e.g. demo_request)",
}
CUSTOM_TARGET = "custom"  # "a custom field named after the column"


def column_default_target(column: str) -> str:
    """What a column feeds unless told otherwise: resolve_field's answer, or '' (skip)."""
    return resolve_field(column) or ""


def is_error_file(columns: Sequence[str]) -> bool:
    """The header ends with the error file's diagnostic columns (a corrected error file)."""
    n = len(ERROR_COLUMNS)
    return len(columns) > n and tuple(c.strip().lower() for c in columns[-n:]) == ERROR_COLUMNS


def mapping_default(columns: Sequence[str]) -> dict[str, str]:
    """The mapping resolve_field suggests; the diagnostic columns of an error file are skipped."""
    mapping = {column: column_default_target(column) for column in columns}
    if is_error_file(columns):
        mapping.update(dict.fromkeys(columns[-len(ERROR_COLUMNS) :], ""))
    return mapping


@dataclass
class ColumnPlan:
    """Which column feeds which submission key (None: ignored)."""

    columns: list[str]
    keys: list[str | None]
    targets: list[str]
    ignored: list[str]
    # Keys made distinct for a column name the header repeats -> how errors name that column.
    labels: dict[str, str] = field(default_factory=dict)
    # Submission key or lead field -> the user's column that fed it, as errors name it.
    column_names: dict[str, str] = field(default_factory=dict)
    # A corrected error file or an export: cells Accord escaped (an apostrophe before '=') read unescaped.
    unescape: bool = False

    def named(self, errors: dict[str, str]) -> dict[str, str]:
        """Errors keyed by the user's column ('Employees'), not the lead field it feeds."""
        return {self.column_names.get(key, key): text for key, text in errors.items()}

    def submission(self, cells: Sequence[str]) -> dict[str, str]:
        # An empty cell says nothing (every row has every column): it must not blank a custom field
        # an earlier row or submission set. For lead fields leaving it out changes nothing.
        if self.unescape:
            return {
                key: csv_unescape_user_cell(cells[i])
                for i, key in enumerate(self.keys)
                if key is not None and cells[i].strip()
            }
        return {key: cells[i] for i, key in enumerate(self.keys) if key is not None and cells[i].strip()}


def mapping_plan(columns: Sequence[str], mapping: dict[str, str] | None = None) -> ColumnPlan:
    """Check a mapping {column: field, 'custom', 'custom.<key>' or ''} and plan the submission keys.

    A column keeps its own name as the key when resolve_field already maps it to the target, so
    normalize_submission sees the file's names (and reports two columns giving one field two values).
    """
    chosen = mapping_default(columns)
    if mapping:
        unknown_columns = [c for c in mapping if c not in chosen]
        if unknown_columns:
            raise ApplicationError(
                f"The mapping names columns the file does not have: {', '.join(unknown_columns)}.",
                detail={"mapping": "unknown columns"},
            )
        chosen.update({c: (t or "").strip() for c, t in mapping.items()})
    keys: list[str | None] = []
    targets: list[str] = []
    ignored: list[str] = []
    used: set[str] = set()
    labels: dict[str, str] = {}
    column_names: dict[str, str] = {}
    for column in columns:
        target = chosen.get(column, "")
        if target == CUSTOM_TARGET:
            target = f"custom.{custom_key(column) or ''}"
        if target.startswith("custom.") and target != "custom.":
            # The name the person typed for the column's custom field, with case and spaces evened out.
            target = f"custom.{custom_key(target[7:], exact=True) or target[7:]}"
        if target.startswith("custom."):
            if not CUSTOM_KEY_RE.match(target[7:]):
                raise ApplicationError(
                    f"Column {column!r} cannot become custom field {target[7:]!r}: use lower-case letters, "
                    "digits and _ and start with a letter (at most 63 characters).",
                    detail={"mapping": column},
                )
        elif target and target not in MAPPING_TARGETS:
            raise ApplicationError(
                f"Column {column!r} is mapped to {target!r}, which is not a lead field; "
                f"use one of {', '.join(MAPPING_TARGETS)}, 'custom' or nothing to skip it.",
                detail={"mapping": column},
            )
        if not target:
            keys.append(None)
            targets.append("")
            ignored.append(column)
            continue
        key = column if resolve_field(column) == target else target
        if key in used:  # the same header twice: trailing spaces resolve to the same field
            while key in used:
                key += " "
            labels[key] = f"{column.strip()} (column {len(keys) + 1})"
        used.add(key)
        column_names[key] = labels.get(key, column.strip() or f"column {len(keys) + 1}")
        # normalize_submission names some errors by the field ('company_size', 'email'): the first
        # column feeding that field is the one the user reads about.
        column_names.setdefault(target, column_names[key])
        keys.append(key)
        targets.append(target)
    custom = sum(1 for t in targets if t.startswith("custom."))
    if custom > MAX_CUSTOM_FIELDS:
        raise ImportFileError(
            f"{custom} columns would become custom fields; at most {MAX_CUSTOM_FIELDS} fit. Skip the "
            "columns you do not need on the mapping page (or remove them from the file).",
            detail={"mapping": "too many custom fields"},
        )
    return ColumnPlan(
        list(columns), keys, targets, ignored, labels, column_names, reads_escaped_cells(columns)
    )


def reads_escaped_cells(columns: Sequence[str]) -> bool:
    """A file Accord wrote (an error file, or an export: its read-only columns are named accord_*),
    whose cells were formula-escaped: read them unescaped (an apostrophe before '+44 …' goes)."""
    return is_error_file(columns) or any(c.strip().lower().startswith("accord_") for c in columns)
