"""Record lists in a browser: sort and save a view, bulk-assign leads, find an account from the top bar."""

from __future__ import annotations

import pytest

from accord.core.models import SavedView
from accord.leads.models import Lead
from accord.records.tests.factories import account_make, person_make
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sort_save_a_view_and_reopen_it(page, live_server, personas, sign_in):
    for n, score in enumerate([10, 90, 40, 70]):
        person_make(f"p{n}@acme.com", first_name=f"P{n}", last_name="Lead", score=score)
    sign_in(page, personas.alice, personas.password)
    page.goto(f"{live_server.url}/leads/")
    page.click("#lead-table th a:text-is('Score')")  # lowest first
    page.wait_for_url("**sort=score**")
    page.click("#lead-table th a:text-is('Score')")  # then highest first
    page.wait_for_url("**sort=-score**")
    assert page.locator("#lead-table tbody tr").first.inner_text().startswith("")
    assert "p1@acme.com" in page.locator("#lead-table tbody tr").first.inner_text()

    page.click(".save-view summary")
    page.fill(".save-view input[name=name]", "Best scores")
    page.click(".save-view button[type=submit]")
    page.wait_for_selector("text=Saved the view “Best scores”")
    assert SavedView.objects.get(name="Best scores").query == "sort=-score"

    page.goto(f"{live_server.url}/leads/")  # newest first again
    assert "p3@acme.com" in page.locator("#lead-table tbody tr").first.inner_text()
    page.click(".saved-views a:has-text('Best scores')")
    page.wait_for_url("**view=**")
    assert "p1@acme.com" in page.locator("#lead-table tbody tr").first.inner_text()
    assert page.locator(".saved-views .chip-active").inner_text() == "Best scores"


def test_bulk_assign_twenty_leads(page, live_server, personas, sign_in):
    for n in range(24):
        person_make(
            f"lead{n:02d}@example.com",
            first_name=f"Lead{n:02d}",
            last_name="Example",
            owner=personas.bob,
            company="Example Health",
            explanation="Title contains VP +30; company size ≥ 200 +30",
        )
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, personas.sam, personas.password)
    page.goto(f"{live_server.url}/leads/")
    # A laptop screen shows at least 20 rows without scrolling, the explanation one click away.
    rows = page.locator("#lead-table tbody tr")
    visible = sum(1 for i in range(rows.count()) if rows.nth(i).bounding_box()["y"] + 20 <= 768)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lead-list.png"))
    assert visible >= 20, f"only {visible} rows fit"
    first = rows.first
    first.locator("summary:text-is('Why')").click()
    assert "company size ≥ 200" in first.inner_text()

    boxes = page.locator("#lead-table tbody input[name=ids]")
    for i in range(20):
        boxes.nth(i).check()
    assert page.inner_text("[data-selected-count]") == "20"
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk-bar select[name=owner]", "carol")
    page.fill("#bulk-bar input[name=reason]", "Bob is on leave")
    page.click("#bulk-bar button[type=submit]")
    page.wait_for_selector("text=Assigned 20 leads.")
    assert Lead.objects.filter(owner=personas.carol).count() == 20
    assert Lead.objects.filter(owner=personas.bob).count() == 4


def test_find_an_account_by_typing_part_of_its_name_in_the_top_bar(page, live_server, personas, sign_in):
    acme = account_make("Acme Health", industry="Healthcare", country="US")
    account_make("Globex Finance")
    person_make("vera@acme.com", first_name="Vera", last_name="Park", account=acme)
    sign_in(page, personas.alice, personas.password)
    page.goto(f"{live_server.url}/leads/")
    page.fill("#topbar-search-input", "acm")
    suggestion = page.locator("#search-suggestions a:has-text('Acme Health')")
    suggestion.wait_for()
    assert page.locator("#search-suggestions").inner_text().count("Globex") == 0
    suggestion.click()
    page.wait_for_url(f"**/accounts/{acme.pk}/")
    assert page.inner_text("h1") == "Acme Health"
    assert "Vera Park" in page.inner_text("#account-people")


def test_the_record_pages_fit_a_phone(page, live_server, personas, sign_in):
    acme = account_make(
        "Acme Health International Holdings", industry="Healthcare", website="acmehealth.example"
    )
    for n in range(5):
        person_make(
            f"a.very.long.address.{n}@acmehealth-international.example",
            first_name="Alexandra",
            last_name=f"Montgomery-Smythe {n}",
            account=acme,
            company="Acme Health International",
        )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, personas.alice, personas.password)
    for url in ("/leads/", "/accounts/", f"/accounts/{acme.pk}/", "/search/?q=acme"):
        page.goto(f"{live_server.url}{url}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{url} is {width} px wide"
    page.goto(f"{live_server.url}/leads/")
    page.click(".conditions summary")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
