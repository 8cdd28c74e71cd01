"""The per-record engine: each operator, decay and rounding, pattern safety, explanations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.qualification.engine import (
    Activity,
    CriteriaSpec,
    RuleInvalid,
    RuleSpec,
    evaluate,
    normalise_text,
    pattern_validate,
    rule_validate,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def spec_of(*rules: RuleSpec, threshold: int = 50) -> CriteriaSpec:
    return CriteriaSpec(id=1, version=4, threshold=threshold, rules=rules)


def fit(field: str, operator: str, value: object = "", points: int = 10, rule_id: int = 1) -> RuleSpec:
    return RuleSpec(rule_id, "fit", field, operator, value, points)


def holds(rule: RuleSpec, value: object) -> bool:
    return evaluate(spec_of(rule), {rule.field: value}, [], NOW).fit == rule.points


@pytest.mark.parametrize(
    ("operator", "rule_value", "field_value", "expected"),
    [
        ("equals", "Healthcare", "  healthcare ", True),
        ("equals", "Healthcare", "Health", False),
        ("equals", "Healthcare", None, False),
        ("not_equals", "Retail", "Healthcare", True),
        ("not_equals", "Retail", "RETAIL", False),
        ("not_equals", "Retail", None, True),
        ("not_equals", "Retail", "   ", True),
        ("in", ("US", "Canada"), "canada", True),
        ("in", ("US", "Canada"), "Mexico", False),
        ("contains", "VP", "Senior vp of Sales", True),
        ("contains", "VP", "Director", False),
        ("regex", "^(vp|chief)", "Chief Revenue Officer", True),
        ("regex", "^(vp|chief)", "Deputy chief", False),
        ("gt", 200, 201, True),
        ("gt", 200, 200, False),
        ("gte", 200, "200", True),
        ("lt", 10, "9.5", True),
        ("lte", 10, " 10 ", True),
        ("gte", 200, "about 300", False),
        ("gte", 200, "3e2", False),
        ("lt", 0, "-1", True),
        ("gte", 0, None, False),
        ("present", "", "x", True),
        ("present", "", "", False),
        ("absent", "", None, True),
        ("absent", "", "x", False),
    ],
)
def test_each_operator_follows_the_documented_semantics(operator, rule_value, field_value, expected):
    assert holds(fit("title", operator, rule_value), field_value) is expected


def test_it_compares_text_case_insensitively_including_greek_final_sigma():
    assert normalise_text(" ΟΔΟΣ ") == normalise_text("οδοσ") == "οδοσ"
    assert holds(fit("city", "equals", "ΟΔΟΣ"), "οδος")


def test_fit_points_add_up_and_decide_mql_at_the_threshold():
    spec = spec_of(
        fit("title", "contains", "VP", 30, 1), fit("company_size", "gte", 200, 20, 2), threshold=50
    )
    result = evaluate(spec, {"title": "VP Sales", "company_size": 250}, [], NOW)
    assert (result.fit, result.score, result.decision) == (50, 50, "mql")
    assert result.matched == ((1, 30), (2, 20))
    assert result.explanation == "title contains 'VP' +30; company size ≥ 200 +20; score 50 ≥ 50: MQL"


def test_a_disqualifier_wins_but_the_score_is_still_computed():
    spec = spec_of(
        fit("title", "contains", "VP", 80, 1),
        RuleSpec(2, "disqualifier", "email_domain", "in", ("gmail.com",), 0, label="free mail address"),
    )
    result = evaluate(spec, {"title": "VP", "email_domain": "Gmail.com"}, [], NOW)
    assert (result.score, result.decision) == (80, "disqualified")
    assert result.explanation == "title contains 'VP' +80; score 80; disqualified: free mail address"


def test_engagement_points_halve_every_half_life_and_round_in_hundredths():
    rule = RuleSpec(1, "engagement", "activity", "equals", "demo request", 15, 7, "demo request")
    activities = [
        Activity("Demo Request", "form", NOW - timedelta(days=7, hours=5)),  # 7 whole days: 7.5
        Activity("demo request", "form", NOW - timedelta(days=14)),  # 3.75
        Activity("webinar", "form", NOW),
    ]
    result = evaluate(spec_of(rule), {}, activities, NOW)
    assert result.engagement == 11  # 750 + 375 = 1125 hundredths -> 11
    assert result.matched == ((1, 11),)
    assert "demo request (2 activities, decayed) +11" in result.explanation


def test_future_activities_count_as_today_and_rules_without_half_life_do_not_decay():
    rule = RuleSpec(1, "engagement", "channel", "equals", "email", 5, None)
    activities = [
        Activity("inquiry", "email", NOW + timedelta(days=2)),
        Activity("x", "EMAIL", NOW - timedelta(days=900)),
    ]
    assert evaluate(spec_of(rule), {}, activities, NOW).engagement == 10


def test_it_rounds_half_hundredths_up_consistently():
    # 3 points, half-life 2, age 1 day: 300 * 2**-0.5 = 212.13 -> 212 hundredths -> 2 points
    rule = RuleSpec(1, "engagement", "activity", "present", "", 3, 2)
    assert evaluate(spec_of(rule), {}, [Activity("a", "form", NOW - timedelta(days=1))], NOW).engagement == 2


def test_nurture_explanation_names_the_threshold():
    result = evaluate(spec_of(fit("title", "contains", "VP", 20), threshold=60), {"title": "vp"}, [], NOW)
    assert result.explanation == "title contains 'VP' +20; score 20 < 60: nurture"
    assert result.decision == "nurture"


def test_with_nothing_matched_the_explanation_says_so():
    result = evaluate(spec_of(fit("title", "contains", "VP")), {}, [], NOW)
    assert result.explanation == "no scoring rule matched; score 0 < 50: nurture"


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a)\1",
        r"(?=vp)",
        r"(?<!x)y",
        r"(?>a)",
        r"a*+",
        r"a++",
        r"\d+",
        r"\bvp\b",
        r"(?i)vp",
        r"[[:alpha:]]",
        r"[a&&b]",
        "x{",
        "a]",
    ],
)
def test_it_refuses_patterns_the_two_engines_would_read_differently(pattern):
    with pytest.raises(RuleInvalid) as caught:
        pattern_validate(pattern)
    assert caught.value.attribute == "value"


@pytest.mark.parametrize("pattern", [r"^(vp|chief)", r"[0-9]{2,4}$", r"a.*?b", r"\.com$", r"(?:x|y)+z?"])
def test_it_accepts_plain_patterns(pattern):
    assert pattern_validate(pattern) == pattern.lower()


def test_rule_validation_names_the_attribute_and_the_allowed_fields():
    with pytest.raises(RuleInvalid) as caught:
        rule_validate(
            kind="fit", field="shoe_size", operator="equals", value="x", points=1, half_life_days=None
        )
    assert caught.value.attribute == "field"
    assert "company_size" in caught.value.message
    with pytest.raises(RuleInvalid) as caught:
        rule_validate(
            kind="fit", field="company_size", operator="gte", value="lots", points=1, half_life_days=None
        )
    assert caught.value.attribute == "value"
    with pytest.raises(RuleInvalid) as caught:
        rule_validate(
            kind="engagement", field="title", operator="present", value="", points=1, half_life_days=3
        )
    assert caught.value.attribute == "field"
    assert (
        rule_validate(
            kind="fit",
            field="custom.budget",
            operator="present",
            value="ignored",
            points=1,
            half_life_days=None,
        )
        == ""
    )
