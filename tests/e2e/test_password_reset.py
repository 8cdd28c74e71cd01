"""A person who forgot their password asks for a link, reads the mail a real SMTP server received, sets a
new password through the link, signs in with it, and finds the link dead the second time."""

from __future__ import annotations

import re

import pytest

from accord.notifications.tests.smtp import smtp_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"(https?://\S+/password-reset/[^/\s]+/[^/\s]+/)")


def test_a_forgotten_password_is_reset_through_a_mailed_single_use_link(
    page,
    live_server,
    personas,
    settings,
    smtp_server,  # noqa: F811
):
    settings.SITE_URL = live_server.url
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.fill("#id_email", personas.bob.email)
    page.click("button[type=submit]")
    page.wait_for_url("**/password-reset/sent/")
    assert "Check your email" in page.inner_text("main")

    [received] = smtp_server.to(personas.bob.email)
    link = LINK.search(received.body).group(1)
    assert link.startswith(live_server.url)

    page.goto(link)
    page.fill("#id_new_password1", "a-brand-new-passphrase")
    page.fill("#id_new_password2", "a-brand-new-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url("**/password-reset/done/")

    page.get_by_role("link", name="Sign in").click()
    page.fill("#id_username", "bob")
    page.fill("#id_password", "a-brand-new-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.locator(".user-menu").count() == 1

    page.context.clear_cookies()
    page.goto(link)
    assert "This link no longer works" in page.inner_text("main")
    assert page.locator("#id_new_password1").count() == 0
