"""Management commands for people: createadmin, token, users."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accord.people.models import ApiToken, Role, User

STRONG = "a-long-enough-passphrase"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_createadmin_creates_a_superuser_with_the_admin_role():
    output = run("createadmin", "--username", "ada", "--password", STRONG, "--email", "ada@example.com")
    assert "Created admin ada" in output
    ada = User.objects.get(username="ada")
    assert ada.is_superuser and ada.is_staff
    assert ada.email == "ada@example.com"
    assert ada.check_password(STRONG)
    assert Role.ADMIN in ada.role_set


@pytest.mark.django_db
def test_createadmin_twice_errors_clearly():
    run("createadmin", "--username", "ada", "--password", STRONG)
    with pytest.raises(CommandError, match=r"A user named 'ada' already exists\. Use --update"):
        run("createadmin", "--username", "ada", "--password", "another-long-passphrase")
    assert User.objects.get(username="ada").check_password(STRONG)


@pytest.mark.django_db
def test_createadmin_update_resets_the_password_and_grants_admin(personas):
    output = run("createadmin", "--username", "bob", "--password", STRONG, "--update")
    assert "Updated admin bob" in output
    bob = User.objects.get(username="bob")
    assert bob.check_password(STRONG)
    assert bob.is_superuser
    assert {Role.ADMIN, Role.SALES_REP} <= bob.role_set


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too weak"):
        run("createadmin", "--username", "ada", "--password", "short")
    assert not User.objects.filter(username="ada").exists()


@pytest.mark.django_db
def test_createadmin_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACCORD_ADMIN_PASSWORD", STRONG)
    run("createadmin", "--username", "ada")
    assert User.objects.get(username="ada").check_password(STRONG)


@pytest.mark.django_db
def test_createadmin_without_any_password_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("ACCORD_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="--password or the ACCORD_ADMIN_PASSWORD"):
        run("createadmin", "--username", "ada")


def test_token_create_prints_only_a_token_that_authenticates(personas):
    output = run("token", "create", "--user", "alice", "--name", "laptop")
    token = output.strip()
    assert output == token + "\n"
    assert token.startswith("acc_")
    assert ApiToken.objects.get(user=personas.alice).name == "laptop"

    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_token_create_for_an_unknown_user_errors(personas):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("token", "create", "--user", "nobody")


def test_token_create_for_a_deactivated_user_errors(personas):
    personas.carol.is_active = False
    personas.carol.save()
    with pytest.raises(CommandError, match="deactivated"):
        run("token", "create", "--user", "carol")


def test_users_lists_everyone_tab_separated(personas):
    lines = run("users").splitlines()
    assert "alice\tmarketing" in lines
    assert "bob\tsales_rep" in lines
    assert "root\tadmin" in lines
    assert lines == sorted(lines)
    assert len(lines) == 10


def test_users_role_filters(personas):
    assert run("users", "--role", "sales_rep").splitlines() == [
        "bob\tsales_rep",
        "carol\tsales_rep",
        "charlie\tsales_rep",
    ]


def test_users_leaves_out_deactivated_people(personas):
    personas.carol.is_active = False
    personas.carol.save()
    assert "carol" not in run("users", "--role", "sales_rep")


def test_users_json(personas):
    rows = json.loads(run("users", "--role", "sales_manager", "--json"))
    assert rows == [
        {
            "username": "fiona",
            "email": "fiona@example.com",
            "roles": ["sales_manager"],
            "team": "Team Finance",
        },
        {"username": "mike", "email": "mike@example.com", "roles": ["sales_manager"], "team": "Team Health"},
    ]


def test_users_rejects_an_unknown_role(personas):
    with pytest.raises(CommandError, match="invalid choice"):
        run("users", "--role", "wizard")


def test_users_query_count_does_not_grow_with_users(personas, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        run("users", "--json")
