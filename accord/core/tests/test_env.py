"""Typed environment readers (accord.core.env)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from accord.core.env import env_bool, env_choice, env_int, env_list, env_str


def test_env_str_returns_the_value_or_the_default(monkeypatch):
    monkeypatch.setenv("ACCORD_T_NAME", "accord")
    assert env_str("ACCORD_T_NAME") == "accord"
    assert env_str("ACCORD_T_MISSING", "fallback") == "fallback"
    assert env_str("ACCORD_T_MISSING") == ""


def test_env_str_keeps_an_empty_value(monkeypatch):
    monkeypatch.setenv("ACCORD_T_NAME", "")
    assert env_str("ACCORD_T_NAME", "fallback") == ""


def test_file_variant_is_read_and_stripped(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n", encoding="utf-8")
    monkeypatch.setenv("ACCORD_T_SECRET", "ignored")
    monkeypatch.setenv("ACCORD_T_SECRET_FILE", str(secret))
    assert env_str("ACCORD_T_SECRET") == "s3cret-value"


def test_an_unreadable_file_variant_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCORD_T_SECRET_FILE", str(tmp_path / "nope"))
    with pytest.raises(ImproperlyConfigured, match="ACCORD_T_SECRET_FILE"):
        env_str("ACCORD_T_SECRET")


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on", " True "])
def test_env_bool_true_spellings(monkeypatch, raw):
    monkeypatch.setenv("ACCORD_T_FLAG", raw)
    assert env_bool("ACCORD_T_FLAG") is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_env_bool_false_spellings(monkeypatch, raw):
    monkeypatch.setenv("ACCORD_T_FLAG", raw)
    assert env_bool("ACCORD_T_FLAG", True) is False


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("ACCORD_T_FLAG", raising=False)
    assert env_bool("ACCORD_T_FLAG", True) is True
    assert env_bool("ACCORD_T_FLAG") is False


def test_env_bool_rejects_anything_else_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("ACCORD_T_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"ACCORD_T_FLAG='maybe' is not a boolean"):
        env_bool("ACCORD_T_FLAG")


def test_env_int_parses_and_defaults(monkeypatch):
    monkeypatch.setenv("ACCORD_T_NUM", " 42 ")
    assert env_int("ACCORD_T_NUM", 1) == 42
    monkeypatch.setenv("ACCORD_T_NUM", "")
    assert env_int("ACCORD_T_NUM", 7) == 7
    monkeypatch.delenv("ACCORD_T_NUM")
    assert env_int("ACCORD_T_NUM", 9) == 9


def test_env_int_rejects_words(monkeypatch):
    monkeypatch.setenv("ACCORD_T_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="ACCORD_T_NUM='ten' is not a whole number"):
        env_int("ACCORD_T_NUM", 1)


def test_env_int_enforces_its_bounds(monkeypatch):
    monkeypatch.setenv("ACCORD_T_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 1"):
        env_int("ACCORD_T_NUM", 5, minimum=1)
    monkeypatch.setenv("ACCORD_T_NUM", "70000")
    with pytest.raises(ImproperlyConfigured, match="above the maximum of 65535"):
        env_int("ACCORD_T_NUM", 5, maximum=65535)
    monkeypatch.setenv("ACCORD_T_NUM", "1")
    assert env_int("ACCORD_T_NUM", 5, minimum=1, maximum=1) == 1


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ACCORD_T_LIST", " a.example, b.example ,, ")
    assert env_list("ACCORD_T_LIST") == ["a.example", "b.example"]


def test_env_list_default_is_a_fresh_copy(monkeypatch):
    monkeypatch.delenv("ACCORD_T_LIST", raising=False)
    default = ["x"]
    result = env_list("ACCORD_T_LIST", default)
    result.append("y")
    assert default == ["x"]
    assert env_list("ACCORD_T_LIST") == []


def test_env_example_lists_every_variable_the_settings_read():
    import re

    from django.conf import settings

    settings_source = (settings.BASE_DIR / "config" / "settings.py").read_text(encoding="utf-8")
    example = (settings.BASE_DIR / ".env.example").read_text(encoding="utf-8")
    read = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert "ACCORD_SECRET_KEY" in read
    assert sorted(read - documented) == []


def test_env_choice_takes_one_of_its_words_in_any_case(monkeypatch):
    monkeypatch.setenv("ACCORD_T_KIND", " RQ ")
    assert env_choice("ACCORD_T_KIND", ("db", "rq"), "db") == "rq"
    monkeypatch.setenv("ACCORD_T_KIND", "")
    assert env_choice("ACCORD_T_KIND", ("db", "rq"), "db") == "db"


def test_env_choice_rejects_other_words_naming_the_choices(monkeypatch):
    monkeypatch.setenv("ACCORD_T_KIND", "django_tasks_db.DatabaseBackend")
    with pytest.raises(ImproperlyConfigured, match=r"ACCORD_T_KIND=.* is not one of: db, rq"):
        env_choice("ACCORD_T_KIND", ("db", "rq"), "db")
