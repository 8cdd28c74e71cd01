"""json_body_load: the one reader of JSON bodies refuses deep nesting, huge numbers, oversized and
non-UTF-8 bodies with a 4xx that says why, and reads everything else as json.loads does."""

from __future__ import annotations

import json
import time

import pytest

from accord.core.bodies import json_body_load, json_nesting_depth
from accord.core.errors import ApplicationError


def refusal(raw, **limits) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        json_body_load(raw, **limits)
    return caught.value


def test_an_ordinary_body_reads_as_json_loads_reads_it():
    body = {"email": "vera@acme.com", "size": 450, "score": 1.5, "tags": ["a", {"b": None}], "ok": True}
    assert json_body_load(json.dumps(body).encode()) == body


def test_a_body_nested_a_thousand_deep_is_a_400_saying_so():
    error = refusal(b'{"email": "a@b.com", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}")
    assert error.status_code == 400
    assert "more than 32 levels deep" in error.message
    assert error.detail == {"body": "nested too deeply"}


def test_nesting_up_to_the_limit_is_read():
    assert json_body_load("[" * 32 + "]" * 32, max_depth=32) == json.loads("[" * 32 + "]" * 32)
    assert refusal("[" * 33 + "]" * 33, max_depth=32).detail == {"body": "nested too deeply"}


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"note": "[[[[{{{{" * 100, "quote": 'say "[[[" \\ ]'})
    assert json_nesting_depth(text) == 1
    assert json_body_load(text, max_depth=2)["note"].startswith("[[[[")


def test_stripping_strings_stays_linear_on_escaped_quotes_without_an_end():
    started = time.perf_counter()
    assert json_nesting_depth('"' + '\\"' * 200_000 + "\\") == 0
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("number", "why"),
    [("1" + "0" * 5000, "5001 digits"), ("-" + "9" * 51, "51 digits"), ("0." + "1" * 60, "more than the 50")],
)
def test_a_number_with_too_many_digits_is_a_400_naming_the_limit(number, why):
    error = refusal(f'{{"company_size": {number}}}'.encode())
    assert error.status_code == 400
    assert why in error.message and "as a string" in error.message
    assert error.detail == {"body": "number too large"}


def test_a_number_of_fifty_digits_is_read():
    assert json_body_load(b'{"n": ' + b"9" * 50 + b"}")["n"] == int("9" * 50)


@pytest.mark.parametrize("number", ["1e999", "-1e400"])
def test_a_number_beyond_a_float_is_refused_rather_than_read_as_infinity(number):
    assert "too large" in refusal(f'{{"n": {number}}}').message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    error = refusal(f'{{"n": {constant}}}')
    assert f"holds {constant}" in error.message and error.detail == {"body": "invalid JSON"}


def test_a_body_that_is_not_utf8_is_a_400_asking_for_utf8():
    error = refusal(b'{"first_name": "Ren\xe9"}')
    assert error.status_code == 400 and "UTF-8" in error.message


def test_a_body_with_a_byte_order_mark_is_read():
    assert json_body_load('\ufeff{"a": 1}'.encode()) == {"a": 1}
    assert json_body_load('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


def test_a_body_over_the_size_limit_is_a_413():
    error = refusal(b'{"a": "' + b"x" * 2000 + b'"}', max_bytes=1024)
    assert error.status_code == 413 and "at most 1024" in error.message


@pytest.mark.parametrize("raw", [b"", b"{", b'{"a": 1,}', b"[1, 2", b'"unterminated'])
def test_malformed_json_is_a_400_that_says_where(raw):
    error = refusal(raw)
    assert error.status_code == 400 and error.message.startswith("The body is not valid JSON: ")


def test_the_limits_are_settings(settings):
    settings.ACCORD_JSON_MAX_DEPTH = 3
    settings.ACCORD_JSON_MAX_NUMBER_DIGITS = 20
    assert json_body_load("[[[1]]]") == [[[1]]]
    assert "more than 3 levels" in refusal("[[[[1]]]]").message
    assert "21 digits" in refusal("1" * 21).message
