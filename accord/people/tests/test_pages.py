"""Sign-in, sign-out, the home redirect and the role-aware navigation of the base layout."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert nav, "the page has no main navigation"
    return re.findall(r">([^<>]+)</a>", nav.group(0))


@pytest.mark.django_db
def test_login_page_renders():
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sign in to Accord" in html
    assert 'name="username"' in html and 'name="password"' in html
    assert "csrfmiddlewaretoken" in html
    assert "/static/css/accord.css" in html
    assert '<script src="/static/vendor/htmx.min.js"' in html
    assert 'class="mainnav"' not in html  # nothing to navigate to before signing in


def test_signing_in_goes_home_and_on_to_the_persons_start_page(personas):
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": personas.password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/desk/"


def test_a_wrong_password_shows_an_error(personas):
    response = Client().post("/login/", {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_signing_in_honours_next(personas):
    response = Client().post(
        "/login/", {"username": "alice", "password": personas.password, "next": "/criteria/"}
    )
    assert response["Location"] == "/criteria/"


@pytest.mark.django_db
def test_home_sends_anonymous_visitors_to_sign_in():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


@pytest.mark.parametrize(
    ("who", "start"),
    [
        ("bob", "/inbox/"),  # a rep works their inbox
        ("mike", "/team/"),  # a manager watches the team's queue and deadlines
        ("alice", "/desk/"),  # marketing: what came in, and the marketing dashboard
        ("mona", "/decisions/"),  # the heads: what waits for their decision
        ("sam", "/decisions/"),
        ("eve", "/dashboards/executive/"),
        ("root", "/decisions/"),
    ],
)
def test_home_sends_each_role_to_its_own_start_page(personas, client_for, who, start):
    response = client_for(getattr(personas, who)).get("/")
    assert response.status_code == 302
    assert response["Location"] == start
    assert client_for(getattr(personas, who)).get(start).status_code == 200


def test_someone_with_no_role_starts_at_the_leads_page():
    from accord.people.navigation import start_page_for

    assert start_page_for(frozenset()) == "/leads/"


def test_logout_needs_a_post(personas, client_for):
    client = client_for(personas.alice)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/")["Location"] == "/login/"


def test_a_signed_in_person_visiting_login_is_sent_home(personas, client_for):
    response = client_for(personas.alice).get("/login/")
    assert response.status_code == 302


MARKETING_ONLY = {"Import", "Duplicates"}


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("bob", {"Leads", "Criteria", "Glossary"}, MARKETING_ONLY | {"Admin"}),
        ("mike", {"Leads", "Criteria", "Glossary"}, MARKETING_ONLY | {"Admin"}),
        ("eve", {"Leads", "Criteria", "Glossary"}, MARKETING_ONLY | {"Admin"}),
        ("alice", {"Leads", "Criteria", "Glossary"} | MARKETING_ONLY, {"Admin"}),
        ("mona", {"Leads", "Criteria", "Glossary"} | MARKETING_ONLY, {"Admin"}),
        ("root", {"Leads", "Criteria", "Glossary", "Admin"} | MARKETING_ONLY, set()),
    ],
)
def test_navigation_shows_links_by_role(personas, who, shown, hidden, rf):
    from django.template.loader import render_to_string

    from accord.people.navigation import GROUPS, MENU_ORDER, all_nav_links

    user = getattr(personas, who)
    request = rf.get("/criteria/")
    request.user = user
    html = render_to_string("base.html", request=request)
    labels = nav_labels(html)
    assert shown <= set(labels)
    assert not hidden & set(labels)
    # Exactly the links the navigation table gives these roles, each once, the bar's own links first.
    table = [link.label for link in all_nav_links() if link.visible_to(user.role_set)]
    assert sorted(labels) == sorted(table)
    bar = [label for label in table if label not in GROUPS]
    assert labels[: len(bar)] == bar
    assert '<a href="/criteria/" class="active" aria-current="page">Criteria</a>' in html
    # The bar holds at most the bar's links and the four menus, so it fits one line on a laptop.
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    top_level = nav.count("<summary") + len(bar)
    assert top_level <= len(bar) + len(MENU_ORDER)


def test_links_other_apps_register_join_a_menu_and_fit_the_bar(personas, rf):
    from django.template.loader import render_to_string

    from accord.people import navigation
    from accord.people.navigation import NavLink, register_nav_link

    saved = list(navigation._registered)
    try:
        register_nav_link(NavLink("Plans", "/planning/"), after="Campaigns")
        register_nav_link(NavLink("Playbooks", "/playbooks/"), after="Routing")
        register_nav_link(NavLink("Forecast", "/forecast/"))
        menus = {m["label"]: m for m in navigation.nav_menus_for(personas.root.role_set, "/playbooks/")}
        assert {"Plans", "Forecast"} <= {link["label"] for link in menus["More"]["links"]}
        assert "Playbooks" in [link["label"] for link in menus["Sales"]["links"]]
        assert menus["Sales"]["active"] is True  # the menu holding the page you are on is marked
        request = rf.get("/planning/")
        request.user = personas.bob
        html = render_to_string("base.html", request=request)
        assert '<a href="/planning/" class="active" aria-current="page">Plans</a>' in html
    finally:
        navigation._registered[:] = saved


def test_base_layout_has_user_menu_with_post_sign_out_and_htmx_csrf(personas, rf):
    from django.template.loader import render_to_string

    request = rf.get("/leads/import/")
    request.user = personas.alice
    html = render_to_string("base.html", request=request)
    assert re.search(
        r'<form method="post" action="/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )
    assert re.search(r"""<body hx-headers='\{"X-CSRFToken": "[^"]+"\}'>""", html)
    assert "Marketing" in html  # the role shown in the user menu
    # The most specific link is the active one: Import, not Leads.
    assert '<a href="/leads/import/" class="active"' in html
    assert '<a href="/leads/" class="active"' not in html


def test_static_assets_are_served(personas):
    client = Client()
    assert client.get("/static/css/accord.css").status_code == 200
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
