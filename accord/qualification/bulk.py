"""The bulk qualification engine: every rule as one vectorised polars expression over all leads.

Same semantics as ``accord.qualification.engine`` (the property test in
``tests/test_engines_agree.py`` holds them to it): the constants come from ``engine.rule_prepare``,
decay factors from ``engine.decay_factor`` and the text from ``engine.explain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from accord.qualification.engine import (
    FINAL_SIGMA,
    LOWERCASE_FIXES,
    NUMBER_PATTERN,
    SIGMA,
    WHITESPACE,
    CriteriaSpec,
    PreparedRule,
    decay_factor,
    explain,
    rule_prepare,
)
from accord.qualification.fields import (
    CUSTOM_PREFIX,
    FIELDS,
    INTAKE_EVENT,
    LEAD_COLUMNS,
    activity_from_event,
    record_from_values,
)

_FIX_FROM = [chr(c) for c in LOWERCASE_FIXES]
_FIX_TO = [chr(c) for c in LOWERCASE_FIXES.values()]
_DAY_US = 86_400_000_000

RESULT_COLUMNS = ("lead_key", "fit", "engagement", "score", "decision")
# Besides RESULT_COLUMNS the result has, for every rule in the criteria's order, "points:<rule id>"
# (points awarded after decay, null when the rule did not match) and, for engagement rules,
# "activities:<rule id>" (how many activities matched). Wide columns keep this vectorised; use
# matched_of(spec, row) for the per-record engine's ((rule id, points), ...) form.


def points_column(rule_id: int) -> str:
    return f"points:{rule_id}"


def activities_column(rule_id: int) -> str:
    return f"activities:{rule_id}"


def _normalised_text(expr: pl.Expr) -> pl.Expr:
    """engine.normalise_text as an expression, except that absent values are still "" here."""
    return (
        expr.cast(pl.String)
        .str.strip_chars(WHITESPACE)
        .str.replace_many(_FIX_FROM, _FIX_TO)
        .str.to_lowercase()
        .str.replace_all(FINAL_SIGMA, SIGMA, literal=True)
    )


def _null_if_empty(name: str) -> pl.Expr:
    return pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)


def _normalised(expr: pl.Expr) -> pl.Expr:
    """engine.normalise_text as one expression: null when absent."""
    text = _normalised_text(expr)
    return pl.when(text == "").then(None).otherwise(text)


def _normalise_columns(frame: pl.DataFrame, sources: dict[str, pl.Expr], keep: list[pl.Expr]) -> pl.DataFrame:
    # Two steps so each column is normalised once and then only compared with "".
    step = frame.select(*keep, *[_normalised_text(expr).alias(name) for name, expr in sources.items()])
    return step.with_columns([_null_if_empty(name) for name in sources]) if sources else step


def _condition(prepared: PreparedRule, text: pl.Expr) -> pl.Expr:
    """engine.condition_holds as an expression over a normalised text column."""
    op = prepared.rule.operator
    absent = text.is_null()
    if op == "present":
        return ~absent
    if op == "absent":
        return absent
    if op == "not_equals":
        return (absent | (text != prepared.needle)).fill_null(True)
    if op == "equals":
        cond = text == prepared.needle
    elif op == "in":
        cond = text.is_in(list(prepared.needles))
    elif op == "contains":
        cond = text.str.contains(prepared.needle or "", literal=True)
    elif op == "regex":
        cond = text.str.contains(prepared.pattern or "")
    else:
        if prepared.number is None:
            return pl.lit(False)
        number = pl.when(text.str.contains(NUMBER_PATTERN)).then(text.cast(pl.Float64, strict=False))
        cond = {
            "gt": number > prepared.number,
            "gte": number >= prepared.number,
            "lt": number < prepared.number,
            "lte": number <= prepared.number,
        }[op]
    return (~absent & cond).fill_null(False)


def _field_expr(frame: pl.DataFrame, name: str) -> pl.Expr:
    # A custom field no lead has is simply absent everywhere.
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def evaluate_frame(
    spec: CriteriaSpec, records: pl.DataFrame, activities: pl.DataFrame | None, as_of: datetime
) -> pl.DataFrame:
    """Evaluate every record at once. Returns one row per lead_key (RESULT_COLUMNS plus per-rule columns)."""
    prepared = [rule_prepare(r) for r in spec.rules]
    fit_rules = [p for p in prepared if p.rule.kind == "fit"]
    disq_rules = [p for p in prepared if p.rule.kind == "disqualifier"]
    eng_rules = [p for p in prepared if p.rule.kind == "engagement"]

    fields = sorted({p.rule.field for p in fit_rules + disq_rules})
    frame = _normalise_columns(
        records,
        {f"n:{f}": _field_expr(records, f) for f in fields},
        [pl.col("lead_key").cast(pl.Int64)],
    )
    rule_cols = [
        _condition(p, pl.col(f"n:{p.rule.field}")).alias(f"m:{p.rule.id}") for p in fit_rules + disq_rules
    ]
    if rule_cols:
        frame = frame.with_columns(rule_cols)

    if eng_rules:
        frame = frame.join(_engagement(eng_rules, activities, as_of), on="lead_key", how="left")
        frame = frame.with_columns(
            [pl.col(f"c:{p.rule.id}").fill_null(0) for p in eng_rules]
            + [pl.col(f"k:{p.rule.id}").fill_null(0) for p in eng_rules]
        )

    fit = pl.sum_horizontal(
        [pl.when(pl.col(f"m:{p.rule.id}")).then(p.rule.points).otherwise(0) for p in fit_rules] or [pl.lit(0)]
    ).cast(pl.Int64)
    total_centi = pl.sum_horizontal([pl.col(f"c:{p.rule.id}") for p in eng_rules] or [pl.lit(0)]).cast(
        pl.Int64
    )
    engagement = (total_centi + 50) // 100
    disqualified = pl.any_horizontal([pl.col(f"m:{p.rule.id}") for p in disq_rules] or [pl.lit(False)])

    # Points each rule awarded (null when it did not match), one column per rule.
    awarded: list[pl.Expr] = []
    counted: list[pl.Expr] = []
    for p in prepared:
        rid = p.rule.id
        if p.rule.kind == "engagement":
            hit = pl.col(f"k:{rid}") > 0
            points = (pl.col(f"c:{rid}") + 50) // 100
            counted.append(pl.when(hit).then(pl.col(f"k:{rid}")).cast(pl.Int64).alias(activities_column(rid)))
        else:
            hit = pl.col(f"m:{rid}")
            points = pl.lit(p.rule.points if p.rule.kind == "fit" else 0)
        awarded.append(pl.when(hit).then(points).cast(pl.Int64).alias(points_column(rid)))

    out = frame.select(
        "lead_key",
        fit.alias("fit"),
        engagement.alias("engagement"),
        disqualified.alias("_disqualified"),
        *awarded,
        *counted,
    ).with_columns(score=pl.col("fit") + pl.col("engagement"))
    out = out.with_columns(
        decision=pl.when(pl.col("_disqualified"))
        .then(pl.lit("disqualified"))
        .when(pl.col("score") >= spec.threshold)
        .then(pl.lit("mql"))
        .otherwise(pl.lit("nurture"))
    )
    return out.select(
        pl.col("lead_key"),
        pl.col("fit").cast(pl.Int64),
        pl.col("engagement").cast(pl.Int64),
        pl.col("score").cast(pl.Int64),
        pl.col("decision").cast(pl.String),
        *[pl.col(points_column(p.rule.id)) for p in prepared],
        *[pl.col(activities_column(p.rule.id)) for p in eng_rules],
    )


def _engagement(
    eng_rules: Sequence[PreparedRule], activities: pl.DataFrame | None, as_of: datetime
) -> pl.DataFrame:
    """Per lead and engagement rule: summed hundredths (c:<id>) and matching activities (k:<id>)."""
    columns = [f"c:{p.rule.id}" for p in eng_rules] + [f"k:{p.rule.id}" for p in eng_rules]
    if activities is None or activities.height == 0:
        return pl.DataFrame(schema={"lead_key": pl.Int64, **{c: pl.Int64 for c in columns}})
    as_of_utc = as_of.astimezone(UTC)
    occurred = pl.col("occurred_at")
    dtype = activities.schema["occurred_at"]
    # naive times are taken as UTC, like everything Accord stores
    occurred = (
        occurred.dt.convert_time_zone("UTC")
        if getattr(dtype, "time_zone", None)
        else occurred.dt.replace_time_zone("UTC")
    )
    age = (
        (pl.lit(as_of_utc).cast(pl.Datetime("us", "UTC")) - occurred.cast(pl.Datetime("us", "UTC")))
        .dt.total_microseconds()
        .floordiv(_DAY_US)
        .clip(lower_bound=0)
        .alias("age")
    )
    acts = _normalise_columns(
        activities,
        {"n:activity": pl.col("kind"), "n:channel": pl.col("channel")},
        [pl.col("lead_key").cast(pl.Int64), age],
    )
    ages = acts.get_column("age").unique().to_list()
    per_rule: list[pl.Expr] = []
    counts: list[pl.Expr] = []
    for p in eng_rules:
        rule = p.rule
        cond = _condition(p, pl.col(f"n:{rule.field}"))
        if rule.half_life_days:
            # factors come from the engine's own function so both engines multiply the same floats
            factors = {age: decay_factor(age, rule.half_life_days) for age in ages}
            factor = pl.col("age").replace_strict(factors, return_dtype=pl.Float64)
            centi = (pl.lit(float(rule.points * 100)) * factor + 0.5).floor().cast(pl.Int64)
        else:
            centi = pl.lit(rule.points * 100, pl.Int64)
        per_rule.append(pl.when(cond).then(centi).otherwise(0).alias(f"c:{rule.id}"))
        counts.append(cond.cast(pl.Int64).alias(f"k:{rule.id}"))
    # Per-activity values first, then plain sums: the group-by's fast path.
    return acts.select("lead_key", *per_rule, *counts).group_by("lead_key").agg(pl.all().sum())


def matched_of(spec: CriteriaSpec, row: dict[str, Any]) -> tuple[tuple[int, int], ...]:
    """A result row's matched rules as the per-record engine reports them: ((rule id, points), ...)."""
    return tuple((r.id, row[points_column(r.id)]) for r in spec.rules if row[points_column(r.id)] is not None)


def activity_counts_of(spec: CriteriaSpec, row: dict[str, Any]) -> dict[int, int]:
    return {
        r.id: row[activities_column(r.id)]
        for r in spec.rules
        if r.kind == "engagement" and row[activities_column(r.id)] is not None
    }


def explanations(spec: CriteriaSpec, frame: pl.DataFrame) -> list[str]:
    """The explanation of every row of an ``evaluate_frame`` result, in row order.

    Leads with the same verdict share one text, so each distinct verdict is explained once.
    """
    if frame.height == 0:
        return []
    keys = [
        "fit",
        "engagement",
        "score",
        "decision",
        *[points_column(r.id) for r in spec.rules],
        *[activities_column(r.id) for r in spec.rules if r.kind == "engagement"],
    ]
    groups = frame.select(keys).with_row_index("_row").group_by(keys).agg(pl.col("_row"))
    texts: list[str] = [""] * frame.height
    for row in groups.iter_rows(named=True):
        text = explain(
            spec,
            matched_of(spec, row),
            row["fit"],
            row["engagement"],
            row["score"],
            row["decision"],
            activity_counts=activity_counts_of(spec, row),
        )
        for index in row["_row"]:
            texts[index] = text
    return texts


# --- loading from the database -------------------------------------------------------------------

STATE_COLUMNS = {
    "_stage": "stage",
    "_score": "score",
    "_fit": "fit_score",
    "_engagement": "engagement_score",
    "_criteria_version": "criteria_version_id",
    "_explanation": "explanation",
}
_CHUNK = 5000


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def records_frame(lead_ids: Iterable[int] | None = None, only_open: bool = True) -> pl.DataFrame:
    """Leads as a records table (lead_key, catalogue fields, custom.<key>) plus their current scoring
    state in underscore columns (_stage, _score, _fit, _engagement, _criteria_version, _explanation).

    ``only_open`` leaves out customers (customer, loyal, advocate): criteria no longer apply to them.
    """
    from accord.leads.models import Lead, Stage

    closed_stages = [Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE]
    lead_columns = list(dict.fromkeys(LEAD_COLUMNS.values()))
    state = list(STATE_COLUMNS.values())
    names = ["id", *lead_columns, "custom", *state]
    queryset = Lead.objects.order_by("id")
    if only_open:
        queryset = queryset.exclude(stage__in=closed_stages)
    querysets = (
        [queryset]
        if lead_ids is None
        else [queryset.filter(id__in_array=chunk) for chunk in _chunks(sorted(set(lead_ids)))]
    )
    data: dict[str, list[Any]] = {"lead_key": [], **{f: [] for f in FIELDS}}
    data.update({c: [] for c in STATE_COLUMNS})
    custom_columns: dict[str, list[Any]] = {}
    row_count = 0
    for qs in querysets:
        for row in qs.values_list(*names).iterator(chunk_size=_CHUNK):
            values = dict(zip(names, row, strict=True))
            record = record_from_values(values, values["custom"])
            data["lead_key"].append(values["id"])
            for key, value in record.items():
                if key.startswith(CUSTOM_PREFIX):
                    column = custom_columns.setdefault(key, [None] * row_count)
                    column.append(value)
                else:
                    data[key].append(value)
            row_count += 1
            for column in custom_columns.values():
                if len(column) < row_count:
                    column.append(None)
            for alias, column_name in STATE_COLUMNS.items():
                data[alias].append(values[column_name])
    schema: dict[str, Any] = {"lead_key": pl.Int64}
    for name, field in FIELDS.items():
        schema[name] = pl.Int64 if field.type == "number" else pl.String
    schema.update(
        {
            "_stage": pl.String,
            "_score": pl.Int64,
            "_fit": pl.Int64,
            "_engagement": pl.Int64,
            "_criteria_version": pl.Int64,
            "_explanation": pl.String,
        }
    )
    schema.update({key: pl.String for key in custom_columns})
    return pl.DataFrame({**data, **custom_columns}, schema=schema)


def activities_frame(lead_ids: Iterable[int] | None = None) -> pl.DataFrame:
    """Intake activities from the event log: lead_key, kind, channel, occurred_at (UTC)."""
    from accord.core.models import Event
    from accord.leads.models import Lead

    # A merged-away lead's activities count for the lead it was merged into (merges keep chains flat,
    # so merged_into always names a surviving lead).
    if lead_ids is None:
        alias = dict(Lead.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    else:
        wanted = sorted(set(lead_ids))
        alias = {}
        for chunk in _chunks(wanted):
            alias.update(
                Lead.objects.filter(merged_into_id__in_array=chunk).values_list("pk", "merged_into_id")
            )
    queryset = Event.objects.filter(subject_type="lead", type=INTAKE_EVENT).order_by("id")
    querysets = (
        [queryset]
        if lead_ids is None
        else [queryset.filter(subject_id__in_array=chunk) for chunk in _chunks(sorted({*wanted, *alias}))]
    )
    keys: list[int] = []
    kinds: list[str] = []
    channels: list[str] = []
    times: list[datetime] = []
    for qs in querysets:
        for subject_id, payload, channel, at in qs.values_list(
            "subject_id", "payload", "channel", "occurred_at"
        ).iterator(chunk_size=_CHUNK):
            activity = activity_from_event(payload, channel, at)
            keys.append(alias.get(subject_id, subject_id))
            kinds.append(activity.kind)
            channels.append(activity.channel)
            times.append(at.astimezone(UTC))
    return pl.DataFrame(
        {"lead_key": keys, "kind": kinds, "channel": channels, "occurred_at": times},
        schema={
            "lead_key": pl.Int64,
            "kind": pl.String,
            "channel": pl.String,
            "occurred_at": pl.Datetime("us", "UTC"),
        },
    )
