"""Rules in words: what the criteria pages show people before they sign."""

from __future__ import annotations

import pytest

from accord.qualification.engine import RuleSpec
from accord.qualification.wording import pattern_words, points_words, rule_in_words


def _rule(field, operator, value="", *, kind="fit", points=10, half_life=None, label=""):
    return RuleSpec(1, kind, field, operator, value, points, half_life, label)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            _rule("title", "regex", "(^|[^a-z])(vp|vice president|director|head|chief)([^a-z]|$)"),
            "Title contains the words VP, Vice president, Director, Head or Chief",
        ),
        (_rule("title", "regex", "^(ceo|cfo)$"), "Title is CEO or CFO"),
        (_rule("title", "regex", "^dr"), "Title starts with “dr”"),
        (_rule("title", "regex", "a+b[0-9]"), "Title matches the pattern “a+b[0-9]”"),
        (_rule("title", "contains", "manager"), "Title contains “manager”"),
        (_rule("company_size", "gte", 200), "Company size is 200 or more"),
        (_rule("company_size", "lt", 50.0), "Company size is less than 50"),
        (_rule("account.industry", "equals", "Health"), "Account industry is Health"),
        (
            _rule("country", "in", ("United States", "UK", "CA", "DE")),
            "Country is United States, United Kingdom, Canada or Germany",
        ),
        (_rule("country", "equals", "usa"), "Country is United States"),
        (_rule("state", "equals", "US-CA"), "State is California"),
        (_rule("custom.budget", "present"), "Custom field “budget” is filled in"),
        (_rule("phone", "absent"), "Phone is empty"),
        (_rule("activity", "equals", "demo_request", kind="engagement"), "Activity is demo request"),
        (_rule("email_domain", "in", tuple(f"d{i}.com" for i in range(11))), None),
    ],
)
def test_a_rule_reads_as_a_sentence_whatever_its_label(rule, words):
    text = rule_in_words(rule)
    if words is None:
        assert text.endswith("or 3 more") and text.startswith("Email domain is d0.com, d1.com")
    else:
        assert text == words


def test_what_a_rule_does_in_words():
    assert points_words(_rule("title", "equals", "x", points=20)) == "+20 points"
    assert points_words(_rule("title", "equals", "x", points=-1)) == "-1 point"
    assert points_words(_rule("title", "equals", "x", kind="disqualifier")) == "disqualifies the lead"
    engagement = _rule("activity", "equals", "webinar", kind="engagement", points=15, half_life=30)
    assert points_words(engagement) == "+15 points per activity, halving every 30 days"


def test_patterns_beyond_plain_word_choices_are_not_guessed():
    assert pattern_words("(vp|director).*sales") is None
