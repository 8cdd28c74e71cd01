"""SLA policies edited in Accord's own pages: the sales head and admins change them, managers read."""

from __future__ import annotations

import pytest

from accord.sla.models import SlaPolicy

pytestmark = pytest.mark.django_db

FORM = {"name": "Hot leads", "priority": "10", "is_active": "on", "min_score": "80", "accept_hours": "2",
        "first_touch_hours": "4", "next_touch_hours": "24", "reminder_before_minutes": "30",
        "escalate_after_hours": "2"}  # fmt: skip


def test_the_sales_head_creates_and_changes_a_policy(client, personas):
    client.force_login(personas.sam)
    assert client.post("/sla/policies/new/", FORM).status_code == 302
    policy = SlaPolicy.objects.get(name="Hot leads")
    assert (policy.min_score, policy.accept_hours, policy.is_default) == (80, 2.0, False)

    assert client.post(f"/sla/policies/{policy.pk}/", {**FORM, "accept_hours": "3"}).status_code == 302
    policy.refresh_from_db()
    assert policy.accept_hours == 3.0
    assert b"Hot leads" in client.get("/sla/policies/").content


def test_making_a_policy_the_default_takes_it_from_the_old_one(client, personas):
    old = SlaPolicy.objects.create(name="Standard", is_default=True)
    client.force_login(personas.root)
    client.post("/sla/policies/new/", {**FORM, "is_default": "on"})
    old.refresh_from_db()
    assert not old.is_default and SlaPolicy.objects.get(name="Hot leads").is_default
    # The default cannot simply be switched off: another policy has to take over.
    page = client.post(f"/sla/policies/{SlaPolicy.objects.get(name='Hot leads').pk}/", FORM)
    assert page.status_code == 200 and b"make another policy the default first" in page.content


def test_bad_windows_are_explained(client, personas):
    client.force_login(personas.sam)
    page = client.post("/sla/policies/new/", {**FORM, "accept_hours": "0", "recycle_after_hours": "-1"})
    assert page.status_code == 200
    assert b"Must be more than 0 hours." in page.content
    assert b"or empty for never" in page.content
    assert not SlaPolicy.objects.exists()


def test_managers_read_policies_and_reps_do_not(client, personas):
    policy = SlaPolicy.objects.create(name="Standard", is_default=True)
    client.force_login(personas.mike)
    page = client.get("/sla/policies/")
    assert page.status_code == 200 and b"Standard" in page.content
    assert client.get(f"/sla/policies/{policy.pk}/").status_code == 403
    assert client.post("/sla/policies/new/", FORM).status_code == 403
    client.force_login(personas.bob)
    assert client.get("/sla/policies/").status_code == 403
    assert not SlaPolicy.objects.filter(name="Hot leads").exists()
