"""A working day, one test per role: sign in, land on the role's own page, see the unread count in the
top bar, open the notification and act on it. A rep works the inbox by keyboard. Each role's start page
is photographed at 1280 px and 390 px wide (docs/screenshots/home-<role>-<width>.png), and no page is
wider than a 390 px phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accord.core.notify import NotificationKind, notify
from accord.leads.models import Lead, Stage
from accord.routing.services import lead_reassign
from accord.sla.services import lead_accept, note_add, sla_start_for_assignment
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def _lead(email: str, owner=None, stage: str = Stage.MQL, **fields) -> Lead:
    first, last = email.split("@")[0].split(".")
    return Lead.objects.create(
        email=email, email_key=email, first_name=first.title(), last_name=last.title(), company="Acme Health",
        stage=stage, owner=owner, **fields,
    )  # fmt: skip


def _photograph(page, live_server, role: str, url: str) -> None:
    """The role's start page at laptop and phone width (the viewport, not the whole page: small files)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, size in (("1280", LAPTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}{url}")
        page.screenshot(path=str(SCREENSHOTS / f"home-{role}-{name}.png"))
    page.set_viewport_size(LAPTOP)


def _land_and_open(
    page, live_server, sign_in, user, password, start: str, subject: str, on_landing=None
) -> None:
    """Sign in, land on ``start``, see the count, open the notification called ``subject``."""
    sign_in(page, user, password)
    assert page.url == f"{live_server.url}{start}", page.url
    if on_landing:
        on_landing()
    count = page.locator("#unread-count")
    assert int(count.inner_text()) >= 1 and "has-unread" in (count.get_attribute("class") or "")
    page.click(".bell")
    page.wait_for_url("**/notifications/")
    page.get_by_role("button", name=subject, exact=True).click()
    page.wait_for_load_state()


def test_a_rep_lands_on_the_inbox_opens_the_new_lead_and_accepts_it(page, live_server, personas, sign_in):
    lead = _lead("vera.park@acmehealth.com", owner=personas.carol)
    lead_reassign(lead=lead, to_user=personas.bob, reason="Carol is away", actor=personas.mike)
    _land_and_open(
        page, live_server, sign_in, personas.bob, personas.password, "/inbox/", f"New lead: {lead}"
    )
    assert page.url == f"{live_server.url}/leads/{lead.pk}/"
    assert page.locator("#unread-count").inner_text() == "0"  # opening it marked it read
    page.click("#lead-accept")
    page.wait_for_selector("#lead-stage:has-text('SAL')")
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    _photograph(page, live_server, "rep", "/inbox/")


def test_a_manager_lands_on_the_team_view_and_accepts_a_missed_lead(page, live_server, personas, sign_in):
    lead = _lead("late.lead@acmehealth.com", owner=personas.bob)
    sla_start_for_assignment(lead=lead, assigned_at=timezone.now() - timedelta(days=5))
    notify(user=personas.mike, kind=NotificationKind.SLA_BREACH, subject=f"Bob missed the deadline to accept {lead}",
           body="", url=f"/leads/{lead.pk}/", lead=lead)  # fmt: skip

    def on_landing():
        assert "Late Lead" in page.inner_text("#team-risks")
        _photograph(page, live_server, "manager", "/team/")

    _land_and_open(page, live_server, sign_in, personas.mike, personas.password, "/team/",
                   f"Bob missed the deadline to accept {lead}", on_landing)  # fmt: skip
    page.click("#lead-accept")  # a manager may act for the people they manage
    page.wait_for_selector("#lead-stage:has-text('SAL')")


def test_marketing_lands_on_the_desk_and_answers_a_mention(page, live_server, personas, sign_in):
    lead = _lead("pat.lee@acmehealth.com", owner=personas.bob, stage=Stage.SAL)
    note_add(lead=lead, user=personas.bob, body="@alice the phone number from the webinar form is wrong")
    _land_and_open(page, live_server, sign_in, personas.alice, personas.password, "/desk/",
                   f"Bob mentioned you on {lead}")  # fmt: skip
    assert page.url.endswith(f"/leads/{lead.pk}/#note-{lead.notes.get().pk}")
    page.fill("#lead-note-body", "@bob fixed, it was a typo in the import")
    page.click("#lead-note-add")
    page.wait_for_selector(".message:has-text('Told Bob')")
    assert "Note by Alice" in page.inner_text("#timeline")
    _photograph(page, live_server, "marketing", "/desk/")


def _criteria_draft(personas, first_signer):
    from accord.intake.tests.test_intake import criteria_make
    from accord.qualification.services import criteria_draft_create, criteria_sign_off

    active = criteria_make(personas.mona, personas.sam)
    draft = criteria_draft_create(user=first_signer, based_on=active)
    criteria_sign_off(criteria_set=draft, user=first_signer)
    return draft


@pytest.mark.parametrize(("head", "first", "button", "role"), [
    ("mona", "sam", "#sign-off-marketing-head", "marketing-head"),
    ("sam", "mona", "#sign-off-sales-head", "sales-head"),
])  # fmt: skip
def test_a_head_lands_on_decisions_and_signs_off_the_draft_the_other_head_signed(
    page, live_server, personas, sign_in, head, first, button, role
):
    from accord.qualification.models import CriteriaStatus

    draft = _criteria_draft(personas, getattr(personas, first))
    me = getattr(personas, head)
    sign_in(page, me, personas.password)
    assert page.url == f"{live_server.url}/decisions/"
    assert "Review and sign off" in page.inner_text("#decide-criteria")
    _photograph(page, live_server, role, "/decisions/")
    page.goto(f"{live_server.url}/decisions/")
    assert int(page.locator("#unread-count").inner_text()) >= 1
    page.click(".bell")
    page.get_by_role(
        "button", name=f"Criteria version {draft.version} waits for your sign-off", exact=True
    ).click()
    page.wait_for_url(f"**/criteria/{draft.pk}/")
    page.click(button)
    page.wait_for_selector("#criteria-status[data-status=active]")
    draft.refresh_from_db()
    assert draft.status == CriteriaStatus.ACTIVE


def test_an_executive_lands_on_the_executive_dashboard_and_answers_a_question(
    page, live_server, personas, sign_in
):
    lead = _lead("big.deal@acmehealth.com", owner=personas.bob, stage=Stage.SAL)
    note_add(lead=lead, user=personas.sam, body="@eve worth a call from you: 400 seats")
    _land_and_open(page, live_server, sign_in, personas.eve, personas.password, "/dashboards/executive/",
                   f"Sam mentioned you on {lead}")  # fmt: skip
    page.fill("#lead-note-body", "@sam yes, set it up for Thursday")
    page.click("#lead-note-add")
    page.wait_for_selector(".message:has-text('Told Sam')")
    _photograph(page, live_server, "executive", "/dashboards/executive/")


def test_an_admin_lands_on_decisions_and_assigns_a_queued_lead(page, live_server, personas, sign_in):
    lead = _lead("queued.lead@acmehealth.com")
    notify(user=personas.root, kind=NotificationKind.QUEUE_ALERT, subject=f"Lead waiting in Fallback: {lead}",
           body="No rule matched.", url=f"/leads/{lead.pk}/", lead=lead)  # fmt: skip
    _land_and_open(page, live_server, sign_in, personas.root, personas.password, "/decisions/",
                   f"Lead waiting in Fallback: {lead}")  # fmt: skip
    page.select_option("#reassign-to", str(personas.bob.pk))
    page.fill("#reassign-reason", "Health vertical")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_selector(".message:has-text('Reassigned to Bob')")
    lead.refresh_from_db()
    assert lead.owner == personas.bob
    _photograph(page, live_server, "admin", "/decisions/")


def test_a_rep_works_the_inbox_by_keyboard(page, live_server, personas, sign_in):
    first = _lead("ann.first@acmehealth.com", owner=personas.bob)
    second = _lead("ben.second@acmehealth.com", owner=personas.bob)
    now = timezone.now()
    sla_start_for_assignment(lead=first, assigned_at=now - timedelta(minutes=2))
    sla_start_for_assignment(lead=second, assigned_at=now)
    sign_in(page, personas.bob, personas.password)
    assert page.url.endswith("/inbox/")
    page.keyboard.press("j")
    current = page.locator("tr.inbox-row.is-current")
    assert current.get_attribute("data-lead") == str(first.pk)
    page.keyboard.press("a")
    page.wait_for_selector(f"#inbox-lead-{first.pk}[data-stage='sal']")
    page.keyboard.press("l")  # the Log… popover of the same row opens with the focus in it
    popover = page.locator(f"#inbox-lead-{first.pk} details:has(summary[data-action='log-touch'])")
    assert popover.get_attribute("open") is not None
    page.keyboard.press("Escape")
    assert popover.get_attribute("open") is None
    page.keyboard.press("j")
    assert page.locator("tr.inbox-row.is-current").get_attribute("data-lead") == str(second.pk)
    page.keyboard.press("r")
    page.select_option(f"#reason-{second.pk}", "not_a_fit")
    page.click(f"#inbox-lead-{second.pk} button.button-danger")
    page.wait_for_selector(f"#inbox-lead-{second.pk} .row-message.notice")
    second.refresh_from_db()
    assert second.stage == Stage.DISQUALIFIED and second.owner is None
    page.keyboard.press("k")
    page.keyboard.press("o")
    page.wait_for_url(f"**/leads/{first.pk}/")
    page.go_back()  # the inbox again: loaded afresh, the accepted lead offers no Accept
    page.wait_for_selector(f"#inbox-lead-{first.pk}")
    assert page.locator(f"#inbox-lead-{first.pk} [data-action='accept']").count() == 0
    assert page.locator(f"#inbox-lead-{second.pk}").count() == 0  # rejected: gone from the inbox


PAGES_BY_ROLE = {
    "bob": ["/inbox/", "/leads/", "/notifications/", "/notifications/preferences/", "/criteria/", "/deals/", "/glossary/"],
    "mike": ["/team/", "/inbox/?who=team", "/scorecards/", "/routing/"],
    "alice": ["/desk/", "/dashboards/marketing/", "/campaigns/", "/leads/import/", "/leads/duplicates/", "/sources/",
              "/feedback/rejections/"],
    "sam": ["/decisions/", "/dashboards/sales/"],
    "eve": ["/dashboards/executive/"],
    "root": ["/audit/", "/webhooks/", "/privacy/"],
}  # fmt: skip


# The outermost element that reaches past the screen's right edge (a scrolling box's content does not count).
WIDEST = """() => {
  const edge = document.documentElement.clientWidth;
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > edge + 1 && !el.parentElement.closest(".table-wrap, [data-scrolls]")) {
      return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")}`;
    }
  }
  return "nothing visible";
}"""


def test_no_page_is_wider_than_a_phone(browser, live_server, personas, sign_in):
    lead = _lead(
        "wide.check@acmehealth.com", owner=personas.bob, title="Vice President of Operational Excellence"
    )
    sla_start_for_assignment(lead=lead, assigned_at=timezone.now())
    lead_accept(lead=lead, user=personas.bob)
    note_add(
        lead=lead, user=personas.bob, body="A long note " + "word " * 60 + "https://example.com/" + "x" * 80
    )
    pages = {who: [*urls, f"/leads/{lead.pk}/"] for who, urls in PAGES_BY_ROLE.items()}
    too_wide = {}
    for who, urls in pages.items():
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        sign_in(page, getattr(personas, who), personas.password)
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[f"{who} {url}"] = f"{width} px, widened by {page.evaluate(WIDEST)}"
        # The menu folds behind one button and opens on a tap.
        assert page.locator("#mainnav").is_hidden()
        page.click(".nav-toggle")
        assert page.locator("#mainnav").is_visible()
        context.close()
    assert not too_wide, "\n".join(f"{page}: {why}" for page, why in too_wide.items())
