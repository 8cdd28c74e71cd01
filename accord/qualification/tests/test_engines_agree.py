"""Both engines give identical verdicts: random criteria, records and activities, compared field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.qualification.bulk import evaluate_frame, explanations, matched_of
from accord.qualification.engine import (
    OPERATORS,
    Activity,
    CriteriaSpec,
    RuleInvalid,
    RuleSpec,
    evaluate,
    normalise_text,
    rule_validate,
)

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TEXT_FIELDS = ["title", "industry", "custom.budget", "custom.missing"]
NUMBER_FIELDS = ["company_size", "account.size"]
TRICKY = [
    "VP",
    "vp sales",
    "ΣΑΣ",
    "σας",
    "İstanbul",
    "ß",
    "Straße",
    "ǅ",
    "ﬁ",
    "K",
    "\u1c89x",
    "ꟛ",
    " 42 ",
    "-3.50",
    "1e3",
]

words = st.sampled_from([*TRICKY, "a", "abc", "x", "0", "12", "200", "-7", "3.25", "\u03c3", "é", "É"])
unicode_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8)
numeric_text = st.builds(
    lambda ws1, neg, whole, frac, ws2: f"{ws1}{'-' if neg else ''}{whole}{('.' + frac) if frac else ''}{ws2}",
    st.sampled_from(["", " ", "\t", "\u3000"]),
    st.booleans(),
    st.integers(0, 100000).map(str),
    st.one_of(st.just(""), st.integers(0, 999).map(str)),
    st.sampled_from(["", " ", "\n"]),
)
text_value = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    words,
    words,
    words,
    words.map(lambda w: f" {w.upper()}\t"),
    unicode_text,
    numeric_text,
)
fragments = st.sampled_from(["a", "v", "\u03c3", "ss", "i\u0307", "s", "vp", "AS", "2"])
number_value = st.one_of(st.none(), st.integers(-1000, 100000))


def _safe_regex() -> st.SearchStrategy[str]:
    literal = st.sampled_from([*"abcvpxyz019\u03c3é ", "\\.", "\\-", "\\(", "\\+", "V", "P", "Σ"])
    cls = st.sampled_from(["[a-c]", "[^x]", "[0-9]", "[A-Z]", "[vp]", "[\\-a]", "."])
    atom = st.one_of(literal, cls)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        group = st.tuples(inner, inner).map(lambda t: f"({t[0]}|{t[1]})")
        quantified = st.tuples(
            st.one_of(atom, group), st.sampled_from(["*", "+", "?", "{1,3}", "*?", "{2}"])
        ).map("".join)
        seq = st.lists(st.one_of(atom, group, quantified), min_size=1, max_size=4).map("".join)
        return seq

    body = st.recursive(atom, extend, max_leaves=6)
    return st.tuples(st.sampled_from(["", "^"]), body, st.sampled_from(["", "$"])).map("".join)


def _rule_value(operator: str, numeric_field: bool) -> st.SearchStrategy:
    if operator in ("present", "absent"):
        return st.just("")
    if operator == "in":
        return st.lists(st.one_of(words, words, unicode_text, st.integers(-5, 300)), min_size=1, max_size=4)
    if operator == "regex":
        return _safe_regex()
    if operator in ("gt", "gte", "lt", "lte"):
        return st.one_of(st.integers(-100, 100000), st.floats(-100, 1000, allow_nan=False), numeric_text)
    if operator == "contains":
        return st.one_of(fragments, words, unicode_text)
    return (
        st.one_of(words, unicode_text, st.integers(-5, 300))
        if numeric_field
        else st.one_of(words, words, unicode_text)
    )


@st.composite
def rules(draw: st.DrawFn, rule_id: int) -> RuleSpec | None:
    kind = draw(st.sampled_from(["fit", "fit", "engagement", "disqualifier"]))
    if kind == "engagement":
        field = draw(st.sampled_from(["activity", "channel"]))
    else:
        field = draw(st.sampled_from(TEXT_FIELDS + NUMBER_FIELDS))
    operator = draw(st.sampled_from(OPERATORS))
    value = draw(_rule_value(operator, field in NUMBER_FIELDS))
    points = draw(st.integers(-30, 60))
    half_life = draw(st.one_of(st.none(), st.integers(1, 60))) if kind == "engagement" else None
    label = draw(st.sampled_from(["", "", "Big deal ✓"]))
    try:
        cleaned = rule_validate(
            kind=kind, field=field, operator=operator, value=value, points=points, half_life_days=half_life
        )
    except RuleInvalid:
        return None
    value = tuple(cleaned) if isinstance(cleaned, list) else cleaned
    return RuleSpec(rule_id, kind, field, operator, value, points, half_life, label)


@st.composite
def specs(draw: st.DrawFn) -> CriteriaSpec:
    count = draw(st.integers(0, 7))
    drawn = [draw(rules(rule_id=i + 1)) for i in range(count)]
    return CriteriaSpec(
        id=7, version=3, threshold=draw(st.integers(-20, 120)), rules=tuple(r for r in drawn if r is not None)
    )


@st.composite
def leads(draw: st.DrawFn) -> list[tuple[dict, list[Activity]]]:
    result = []
    for _ in range(draw(st.integers(1, 5))):
        record = {f: draw(text_value) for f in TEXT_FIELDS if f != "custom.missing"}
        record.update({f: draw(number_value) for f in NUMBER_FIELDS})
        activities = [
            Activity(
                kind=draw(
                    st.one_of(
                        st.sampled_from(["demo request", "Demo Request ", "webinar", "inquiry"]), text_value
                    )
                ),
                channel=draw(st.one_of(st.sampled_from(["form", "email", "FORM"]), text_value)),
                occurred_at=AS_OF - timedelta(seconds=draw(st.integers(-3 * 86400, 400 * 86400))),
            )
            for _ in range(draw(st.integers(0, 4)))
        ]
        result.append((record, activities))
    return result


def _frames(batch: list[tuple[dict, list[Activity]]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    schema = {"lead_key": pl.Int64, **{f: pl.String for f in TEXT_FIELDS if f != "custom.missing"}}
    schema.update({f: pl.Int64 for f in NUMBER_FIELDS})
    records = pl.DataFrame([{"lead_key": i, **rec} for i, (rec, _) in enumerate(batch)], schema=schema)
    rows = [
        {"lead_key": i, "kind": a.kind, "channel": a.channel, "occurred_at": a.occurred_at}
        for i, (_, acts) in enumerate(batch)
        for a in acts
    ]
    activities = pl.DataFrame(
        rows,
        schema={
            "lead_key": pl.Int64,
            "kind": pl.String,
            "channel": pl.String,
            "occurred_at": pl.Datetime("us", "UTC"),
        },
    )
    return records, activities


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), batch=leads())
def test_both_engines_give_identical_verdicts(spec: CriteriaSpec, batch: list) -> None:
    records, activities = _frames(batch)
    frame = evaluate_frame(spec, records, activities, AS_OF).sort("lead_key")
    texts = explanations(spec, frame)
    for (record, acts), row, text in zip(batch, frame.iter_rows(named=True), texts, strict=True):
        expected = evaluate(spec, record, acts, AS_OF)
        got = (
            row["fit"],
            row["engagement"],
            row["score"],
            row["decision"],
            matched_of(spec, row),
            text,
        )
        assert got == (
            expected.fit,
            expected.engagement,
            expected.score,
            expected.decision,
            expected.matched,
            expected.explanation,
        ), (record, acts)


def test_text_normalisation_matches_polars_for_every_character() -> None:
    from accord.qualification.bulk import _normalised

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    samples = [f"A{c}" for c in chars] + [f"{c}Σ" for c in chars[:2000]]
    polars_side = pl.DataFrame({"t": samples}).select(_normalised(pl.col("t"))).to_series().to_list()
    mismatched = [s for s, got in zip(samples, polars_side, strict=True) if normalise_text(s) != got]
    assert mismatched == []
