"""``accord demo``: a believable company built through the real services, quickly and only once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accord.demo.services import DEMO_PASSWORD, DEMO_USERNAMES
from accord.leads.models import Lead, PossibleDuplicate, Source, Stage
from accord.people.models import Role, Team, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_it_builds_a_company_with_every_role_and_prints_the_logins(settings):
    from accord.qualification.models import CriteriaSet, CriteriaStatus

    out = run_demo("--leads", "150", "--seed", "3")
    assert "http://127.0.0.1:8000" in out
    assert DEMO_PASSWORD in out
    for username in DEMO_USERNAMES:
        assert username in out
    logins = (settings.DATA_DIR / "demo-logins.txt").read_text()
    assert "samuel" in logins and "Sales head" in logins and DEMO_PASSWORD in logins

    health, finance = Team.objects.get(name="Healthcare"), Team.objects.get(name="Financial services")
    assert health.time_zone != finance.time_zone and health.holidays.count() >= 2
    assert health.manager.manager.has_role(Role.SALES_HEAD)
    assert User.objects.filter(team=health, roles__role=Role.SALES_REP, manager=health.manager).count() == 3
    assert User.objects.filter(roles__role=Role.MARKETING).count() == 2
    assert User.objects.get(username="mona").check_password(DEMO_PASSWORD)
    assert set(Source.objects.values_list("kind", flat=True)) == {"form", "import", "api"}

    active = CriteriaSet.objects.get(status=CriteriaStatus.ACTIVE)
    assert active.sign_offs.count() == 2 and active.rules.count() >= 10 and active.mql_threshold == 60

    assert Lead.objects.count() >= 150
    stages = set(Lead.objects.values_list("stage", flat=True))
    assert {Stage.MQL, Stage.NURTURE, Stage.SAL} <= stages
    assert Lead.objects.exclude(owner=None).exists()
    assert (
        Lead.objects.filter(account__isnull=False).values("account").distinct().count() < Lead.objects.count()
    )
    assert Lead.objects.exclude(criteria_version=None).count() == Lead.objects.count()
    assert PossibleDuplicate.objects.exists()

    from accord.campaigns.communication_selectors import communication_result
    from accord.campaigns.models import Communication, Delivery

    invite = Communication.objects.get(name="Webinar invitation")
    assert invite.variants.count() == 2
    assert Delivery.objects.filter(communication=invite, clicked_at__isnull=False).exists()
    assert communication_result(communication=invite).comparisons[0].verdict


def test_the_same_seed_gives_the_same_people():
    import random

    from accord.demo.services import _companies, _person

    def people(seed: int) -> list[str]:
        rng = random.Random(seed)
        companies = _companies(rng, 10)
        return [_person(rng, companies[n], set()).email for n in range(10)]

    assert people(1) == people(1)
    assert people(1) != people(2)


def test_if_empty_does_nothing_when_the_demo_exists():
    run_demo("--leads", "20")
    count = Lead.objects.count()
    assert "already loaded" in run_demo("--if-empty")
    assert Lead.objects.count() == count
    with pytest.raises(CommandError, match="already loaded"):
        run_demo()
