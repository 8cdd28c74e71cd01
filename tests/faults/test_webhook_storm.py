"""One signed webhook delivered 1,000 times, 50 at once, over real HTTP to a running server: one lead,
one assignment, one notification, and no 5xx. Runs on whichever database the suite uses (CI runs it
on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.db import connection

from accord.core.models import Event
from accord.core.signing import SIGNATURE_HEADER, signature_make
from accord.leads.models import Lead, Source, SourceKind
from accord.webhooks.models import ExternalEvent

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        connection.vendor == "sqlite"
        and connection.creation.is_in_memory_db(connection.settings_dict["TEST"].get("NAME") or ":memory:"),
        reason="a live server's threads need a database file",
    ),
]

SECRET = "sk_" + "w" * 40
PAYLOAD = {"email": "storm@acme.com", "first_name": "Stormy", "title": "VP Sales", "company": "Acme"}
THREADS, PER_THREAD = 50, 20


def post(url: str, raw: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", "")


def test_the_same_webhook_a_thousand_times_fifty_at_once_has_one_effect(http_server, personas, run_due_tasks):
    from accord.notifications.models import Notification
    from accord.qualification import selectors
    from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus
    from accord.routing.selectors import ASSIGNED
    from accord.routing.tests.factories import active_rules

    selectors._active_cache.clear()  # ids repeat between tests
    criteria = CriteriaSet.objects.create(version=1, status=CriteriaStatus.ACTIVE, mql_threshold=60)
    CriteriaRule.objects.create(
        criteria_set=criteria,
        position=0,
        kind="fit",
        field="title",
        operator="contains",
        value="VP",
        points=70,
    )
    active_rules({"target_user": personas.bob})
    source = Source.objects.create(
        name="Storm CRM",
        kind=SourceKind.API,
        rate_limit_per_minute=1_000_000,
        require_signature=True,
        signing_secret=SECRET,
    )
    raw = json.dumps(PAYLOAD).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Event-Id": "crm-evt-42",
        SIGNATURE_HEADER: signature_make(SECRET, raw),
    }
    url = f"{http_server}/api/v1/hooks/leads/{source.public_key}"
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, str]] = []
    retried: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait()
            for _ in range(PER_THREAD):
                status, kind = post(url, raw, headers)
                tries = 0
                # 409 'being processed', or 503 when the database turns a connection away (fifty
                # threads here beside the other test process's): the sender retries shortly, as
                # webhook senders do.
                while status in (409, 503) and tries < 50:
                    with lock:
                        retried.append(status)
                    time.sleep(0.05)
                    status, kind = post(url, raw, headers)
                    tries += 1
                with lock:
                    answers.append((status, kind))
        except BaseException as exc:
            errors.append(exc)

    # Why the database turned a request away, if it did: named in the failure below.
    refusals: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: refusals.append(record.getMessage()[:300])  # type: ignore[method-assign]
    logging.getLogger("accord.core.middleware").addHandler(handler)
    workers = [threading.Thread(target=deliver) for _ in range(THREADS)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=600)
    finally:
        logging.getLogger("accord.core.middleware").removeHandler(handler)

    assert not errors, errors[0]
    assert len(answers) == THREADS * PER_THREAD
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) == {201}, (statuses, sorted(set(refusals))[:5])
    assert all(kind.startswith("application/json") for _, kind in answers)

    lead = Lead.objects.get()
    assert Event.objects.filter(type="lead.intake").count() == 1
    assert ExternalEvent.objects.count() == 1
    run_due_tasks()
    lead.refresh_from_db()
    assert lead.owner == personas.bob
    assert Event.objects.filter(type=ASSIGNED, subject_id=lead.pk).count() == 1
    assert Notification.objects.filter(lead=lead).count() == 1
    assert Notification.objects.filter(user=personas.bob).count() == 1
