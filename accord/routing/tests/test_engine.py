"""The routing engine: conditions, rule order and explanations (no database)."""

from __future__ import annotations

import pytest

from accord.routing.engine import (
    RuleInvalid,
    all_matches,
    conditions_validate,
    first_match,
    rule_view,
)


def view(number, name, conditions, target="team Team Health"):
    return rule_view(id=number, number=number, name=name, conditions=conditions, target=target)


def c(field, operator, value=""):
    return {"field": field, "operator": operator, "value": value}


def test_it_explains_a_match_in_plain_words():
    rule = view(3, "Healthcare", [c("industry", "equals", "Healthcare")])
    assert rule.explain() == "rule 3 'Healthcare': industry = Healthcare → team Team Health"


def test_it_explains_several_conditions_and_lists():
    rule = view(1, "DACH big", [c("country", "in", ["DE", "AT"]), c("company_size", "gte", 200)], "rep Bob")
    assert rule.explain() == "rule 1 'DACH big': country in [DE, AT] and company_size ≥ 200 → rep Bob"


def test_a_rule_without_conditions_matches_every_lead():
    rule = view(1, "Everything", [])
    assert rule.matches({})
    assert rule.explain() == "rule 1 'Everything': every lead → team Team Health"


def test_the_first_matching_rule_in_order_wins():
    rules = [
        view(1, "Big", [c("company_size", "gt", 1000)]),
        view(2, "Health", [c("industry", "equals", "healthcare")]),
        view(3, "Rest", []),
    ]
    assert first_match(rules, {"industry": "Healthcare ", "company_size": 50}).name == "Health"
    assert first_match(rules, {"industry": "Healthcare", "company_size": 5000}).name == "Big"
    assert [r.name for r in all_matches(rules, {"industry": "Healthcare", "company_size": 5000})] == [
        "Big",
        "Health",
        "Rest",
    ]


@pytest.mark.parametrize(
    ("condition", "record", "expected"),
    [
        (c("country", "equals", "de"), {"country": "DE"}, True),
        (c("country", "not_equals", "DE"), {"country": None}, True),
        (c("country", "in", ["US", "CA"]), {"country": "ca"}, True),
        (c("title", "contains", "vp"), {"title": "VP Sales"}, True),
        (c("score", "gte", 60), {"score": 60}, True),
        (c("score", "lt", 60), {"score": 60}, False),
        (c("account.size", "lte", 50), {"account.size": None}, False),
        (c("custom.region", "present"), {"custom.region": "emea"}, True),
        (c("email_domain", "absent"), {"email_domain": None}, True),
        (c("stage", "equals", "mql"), {"stage": "mql"}, True),
    ],
)
def test_conditions_compare_like_qualification_criteria(condition, record, expected):
    assert view(1, "r", conditions_validate([condition])).matches(record) is expected


def test_it_rejects_unknown_fields_and_operators_naming_the_condition():
    with pytest.raises(RuleInvalid, match="condition 2: unknown field 'shoe_size'"):
        conditions_validate([c("country", "equals", "DE"), c("shoe_size", "equals", "9")])
    with pytest.raises(RuleInvalid, match="operator must be one of"):
        conditions_validate([c("country", "regex", "D.")])
    with pytest.raises(RuleInvalid, match="need a number"):
        conditions_validate([c("score", "gt", "lots")])
