"""Under the strict Content-Security-Policy every main page, for every role, loads without a single
violation in the browser, and HTMX keeps swapping content."""

from __future__ import annotations

import pytest

from accord.leads.models import Lead, Stage
from accord.people.navigation import nav_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs, on every document the page loads.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


def watch(page) -> list[str]:
    """Console messages that speak of the policy, for the whole life of the page."""
    seen: list[str] = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if message.type in ("error", "warning") and "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def visit(page, url: str, console: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return [*page.evaluate("window.__cspViolations"), *console]


@pytest.mark.parametrize("who", ["root", "bob", "alice", "mike", "eve"])
def test_every_main_page_loads_without_a_policy_violation(page, live_server, personas, sign_in, who):
    user = getattr(personas, who)
    Lead.objects.create(
        email="vera.park@acmehealth.com",
        email_key="vera.park@acmehealth.com",
        first_name="Vera",
        company="Acme Health",
        stage=Stage.MQL,
        owner=personas.bob,
    )
    console = watch(page)
    sign_in(page, user, personas.password)
    urls = [link["url"] for link in nav_for(user.role_set, "/")]
    urls += ["/leads/", "/notifications/", "/account/password/", "/no-such-page/", "/api/v1/docs"]
    if who == "root":
        urls += ["/admin/", "/admin/leads/lead/"]
    violations = {}
    for url in dict.fromkeys(urls):
        found = visit(page, f"{live_server.url}{url}", console)
        if found:
            violations[url] = list(found)
        console.clear()
    assert violations == {}


def test_htmx_still_filters_the_lead_list_in_place(page, live_server, personas, sign_in):
    for first_name in ("Vera", "Otto"):
        Lead.objects.create(
            email=f"{first_name.lower()}@acmehealth.com",
            email_key=f"{first_name.lower()}@acmehealth.com",
            first_name=first_name,
            company="Acme Health",
            stage=Stage.MQL,
            owner=personas.bob,
        )
    console = watch(page)
    sign_in(page, personas.alice, personas.password)
    page.goto(f"{live_server.url}/leads/")
    page.evaluate("window.__noReload = 'still here'")
    with page.expect_request(lambda request: request.headers.get("hx-request") == "true"):
        page.fill("#lead-filters input[name=q]", "Otto")
        page.press("#lead-filters input[name=q]", "Enter")
    page.wait_for_function("() => !document.querySelector('#lead-results').textContent.includes('Vera')")
    assert "Otto" in page.inner_text("#lead-results")
    assert page.evaluate("window.__noReload") == "still here"
    assert [*page.evaluate("window.__cspViolations"), *console] == []
