"""Shared personas for every test.

alice: marketing; bob: sales rep in Team Health; carol: another rep in Team Health;
charlie: sales rep in Team Finance (outsider to Health); mona: marketing head; sam: sales head;
mike: manager of Team Health (bob and carol report to him; he reports to sam); eve: executive;
root: admin.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("ACCORD_DEBUG", "true")

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing passwords properly takes most of a second each; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db):
    from accord.people.models import Role
    from accord.people.tests.factories import TeamFactory, user_with_roles

    health = TeamFactory(name="Team Health", segment="Healthcare")
    finance = TeamFactory(name="Team Finance", segment="Financial services")
    sam = user_with_roles("sam", Role.SALES_HEAD)
    mike = user_with_roles("mike", Role.SALES_MANAGER, team=health, manager=sam)
    fiona = user_with_roles("fiona", Role.SALES_MANAGER, team=finance, manager=sam)
    health.manager = mike
    health.save()
    finance.manager = fiona
    finance.save()

    class People:
        pass

    p = People()
    p.health, p.finance = health, finance
    p.sam, p.mike, p.fiona = sam, mike, fiona
    p.alice = user_with_roles("alice", Role.MARKETING)
    p.mona = user_with_roles("mona", Role.MARKETING_HEAD)
    p.bob = user_with_roles("bob", Role.SALES_REP, team=health, manager=mike)
    p.carol = user_with_roles("carol", Role.SALES_REP, team=health, manager=mike)
    p.charlie = user_with_roles("charlie", Role.SALES_REP, team=finance, manager=fiona)
    p.eve = user_with_roles("eve", Role.EXECUTIVE)
    p.root = user_with_roles("root", Role.ADMIN)
    p.password = PASSWORD
    return p


@pytest.fixture
def api_client_for():
    """Returns a function making a Django test client that sends a fresh API token for a user."""
    from django.test import Client

    from accord.people.services import api_token_create

    def make(user):
        raw, _ = api_token_create(user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def client_for():
    """Returns a function making a Django test client signed in as a user (for pages)."""
    from django.test import Client

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def run_due_tasks(django_capture_on_commit_callbacks):
    """Runs every queued task whose run_after has come (by the possibly travelled clock), like a worker."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run() -> list[str]:
        ran: list[str] = []
        while True:
            result = DBTaskResult.objects.ready().order_by("run_after", "enqueued_at").first()
            if result is None:
                return ran
            result.claim(worker.worker_id)
            with django_capture_on_commit_callbacks(execute=True):
                worker.run_task(result)
            result.refresh_from_db()
            if result.status == TaskResultStatus.FAILED:
                raise AssertionError(f"task {result.task_path} failed: {result.traceback}")
            ran.append(result.task_path.rsplit(".", 1)[-1])

    return run
