"""Forbidden and not-found pages keep the navigation and say why; an application error or a model's
ValidationError that a view lets through reaches the user as the one error (page or JSON), never a 500."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import Client
from django.urls import include, path

from accord.core import errors
from accord.core.errors import AccessDenied, ApplicationError, Conflict, application_error_from_validation


def _raise_model_validation(request: HttpRequest):
    raise ValidationError({"name": ["Ensure this value has at most 200 characters (it has 201)."]})


def _raise_access_denied(request: HttpRequest):
    raise AccessDenied("Only the lead's owner may reassign it.", detail={"lead": "not yours"})


def _raise_conflict(request: HttpRequest):
    raise Conflict("The lead was already accepted by carol.")


# The project's URLs plus three views that let an error through, as a careless view would.
urlpatterns = [
    path("broken/validation/", _raise_model_validation),
    path("broken/denied/", _raise_access_denied),
    path("broken/conflict/", _raise_conflict),
    path("f/broken/validation/", _raise_model_validation),
    path("", include("config.urls")),
]


def test_accords_access_error_no_longer_shares_djangos_name():
    from django.core.exceptions import PermissionDenied

    assert not hasattr(errors, "PermissionDenied")
    assert issubclass(AccessDenied, ApplicationError) and not issubclass(AccessDenied, PermissionDenied)
    assert AccessDenied("x").status_code == 403


def test_a_forbidden_page_keeps_the_navigation_and_says_why(personas, client_for):
    response = client_for(personas.bob).get("/leads/import/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only admins and marketing import leads and other records." in html
    assert 'class="mainnav"' in html and 'href="/leads/"' in html  # the navigation is still there
    assert "You are signed in as <strong>bob</strong>" in html
    assert "403 Forbidden" not in html


def test_a_not_found_page_keeps_the_navigation_and_names_the_path(personas, client_for):
    response = client_for(personas.alice).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="mainnav"' in html and "<code>/no-such-page/</code>" in html
    assert "Not Found" not in html.split("<main", 1)[1][:200]


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_a_styled_not_found_page_with_a_sign_in_link():
    response = Client().get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "accord.css" in html and 'href="/login/"' in html


@pytest.mark.urls(__name__)
def test_a_model_validation_error_on_a_page_is_a_400_page_naming_the_field(personas, client_for):
    response = client_for(personas.alice).get("/broken/validation/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "<strong>name</strong>: Ensure this value has at most 200 characters" in html
    assert 'class="mainnav"' in html


@pytest.mark.urls(__name__)
def test_a_model_validation_error_on_the_form_endpoint_is_json(db):
    response = Client().post("/f/broken/validation/")
    assert response.status_code == 400
    assert response.json()["detail"] == {"name": "Ensure this value has at most 200 characters (it has 201)."}


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/broken/denied/", 403, "Only the lead&#x27;s owner may reassign it."),
        ("/broken/conflict/", 409, "already"),
    ],
)
def test_an_application_error_a_view_let_through_is_its_own_status_not_a_500(
    personas, client_for, url, status, says
):
    response = client_for(personas.alice).get(url)
    assert response.status_code == status and says in response.content.decode()


def test_a_model_validation_error_in_the_api_is_a_400_with_the_fields(personas, api_client_for, monkeypatch):
    from accord.people import api as people_api

    def invalid(*args, **kwargs):
        raise ValidationError({"email": ["Enter a valid email address."], "__all__": ["Two records clash."]})

    # A write deep below the endpoint whose full_clean() fails, as a service that forgot to translate it.
    monkeypatch.setattr(people_api, "profile_extras_for", invalid)
    response = api_client_for(personas.bob).get("/api/v1/me")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == {"email": "Enter a valid email address.", "record": "Two records clash."}
    assert "email" in body["message"]


def test_the_translation_names_fields_and_record_wide_problems():
    error = application_error_from_validation(
        ValidationError({"email": ["Enter a valid email address."], "__all__": ["Two records clash."]})
    )
    assert error.status_code == 400
    assert error.detail == {"email": "Enter a valid email address.", "record": "Two records clash."}
    assert error.message == (
        "The record was not saved: invalid value in email. email: Enter a valid email address.; Two records clash."
    )
    plain = application_error_from_validation(ValidationError("Closing date is before the start."))
    assert plain.detail == {"record": "Closing date is before the start."}
