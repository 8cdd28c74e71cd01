"""GET /api/v1/me."""

from __future__ import annotations

from django.test import Client

from accord.people.services import api_token_create


def test_it_returns_the_caller_for_a_valid_token(personas, api_client_for):
    response = api_client_for(personas.bob).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": personas.bob.pk,
        "username": "bob",
        "name": "Bob",
        "email": "bob@example.com",
        "first_name": "Bob",
        "last_name": "",
        "roles": ["sales_rep"],
        "team": "Team Health",
        "manager": "mike",
        "calendar_feed_url": response.json()["calendar_feed_url"],
        "mail_in_address": response.json()["mail_in_address"],
    }
    assert response.json()["mail_in_address"].endswith("@mail.accord.local")


def test_it_requires_authentication_with_a_json_error(db):
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "Authorization: Bearer" in body["message"]
    assert body["detail"] == {"Authorization": "missing"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_refuses_an_unknown_token(personas):
    response = Client(HTTP_AUTHORIZATION="Bearer acc_not-a-real-token").get("/api/v1/me")
    assert response.status_code == 401


def test_it_refuses_a_revoked_token(personas):
    from django.utils import timezone

    raw, token = api_token_create(user=personas.alice)
    token.revoked_at = timezone.now()
    token.save()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert response.status_code == 401


def test_it_refuses_a_token_of_a_deactivated_user(personas):
    raw, _ = api_token_create(user=personas.alice)
    personas.alice.is_active = False
    personas.alice.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401


def test_it_records_when_a_token_was_last_used(personas):
    raw, token = api_token_create(user=personas.alice)
    assert token.last_used_at is None
    Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_accepts_a_signed_in_session(personas):
    client = Client()
    client.force_login(personas.mona)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["roles"] == ["marketing_head"]


def test_a_token_signs_in_with_its_user_and_roles_in_one_read(personas, django_assert_num_queries):
    from accord.people.models import ApiToken, Role, UserRole

    UserRole.objects.create(user=personas.bob, role=Role.MARKETING)
    raw, token = api_token_create(user=personas.bob)
    with django_assert_num_queries(1):
        found = ApiToken.objects.authenticate(raw)
        assert found is not None and found.pk == token.pk
        user = found.user
        # The roles came with the user: asking for them reads nothing more.
        assert user.role_set == {Role.SALES_REP, Role.MARKETING}
        assert user.has_role(Role.MARKETING) and not user.has_role(Role.ADMIN)
    assert (user.pk, user.username, user.team_id, user.is_active) == (
        personas.bob.pk,
        "bob",
        personas.bob.team_id,
        True,
    )
    assert found.key_hash == token.key_hash and found.revoked_at is None


def test_a_token_of_a_user_without_roles_or_a_superuser_signs_in_with_the_right_roles(personas):
    from accord.people.models import ApiToken, Role, UserRole

    UserRole.objects.filter(user=personas.bob).delete()
    raw, _ = api_token_create(user=personas.bob)
    signed_in = ApiToken.objects.authenticate(raw)
    assert signed_in is not None and signed_in.user.role_set == frozenset()
    personas.bob.is_superuser = True
    personas.bob.save()
    signed_in = ApiToken.objects.authenticate(raw)
    assert signed_in is not None and signed_in.user.role_set == {Role.ADMIN}
    assert ApiToken.objects.authenticate(raw + "x") is None
