"""Demo data (``accord demo``): a believable company with two vertical sales teams, criteria and a year of leads.

``demo_build`` makes everything through the same services the product uses (``user_create``,
``source_create``, the qualification services, ``lead_intake``, ``lead_stage_set``), so the
stages, scores, explanations, timelines and duplicates look exactly as real ones would. It is
seeded: the same seed gives the same people, companies and histories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accord.campaigns.communication_services import (
    VariantSpec,
    communication_create,
    communication_send,
    delivery_outcome_record,
)
from accord.campaigns.models import CampaignChannel, CampaignStatus, Delivery, Outcome, SuccessMetric
from accord.campaigns.services import campaign_create
from accord.core.events import event_record
from accord.core.models import Channel, Event, Organization
from accord.demo.enablement import enablement_demo_create
from accord.demo.intelligence import demo_intelligence_build
from accord.demo.planning import planning_demo_build
from accord.demo.records import records_demo_create
from accord.demo.workday import UTM_BY_SOURCE, campaigns_create, closed_loop_build
from accord.intake.services import lead_intake
from accord.leads.models import Lead, PossibleDuplicate, Source, SourceKind, Stage
from accord.leads.services import lead_stage_set, source_create
from accord.leads.submissions import channel_of_source
from accord.people.models import Role, Team, TeamHoliday, TeamKind, User
from accord.people.services import user_create
from accord.qualification.services import criteria_draft_create, criteria_draft_update, criteria_sign_off
from accord.routing.services import rule_add, rule_set_activate, rule_set_create

DEMO_PASSWORD = "accord-demo-2026"
LOGINS_FILE = "demo-logins.txt"

# username, first, last, roles, team key, manager username, job title
DEMO_USERS: tuple[tuple[str, str, str, tuple[str, ...], str, str, str], ...] = (
    ("adrian", "Adrian", "Kowalski", (Role.ADMIN,), "", "", "IT administrator"),
    ("mona", "Mona", "Lindqvist", (Role.MARKETING_HEAD,), "", "", "VP Marketing"),
    ("lena", "Lena", "Hoffmann", (Role.MARKETING,), "", "mona", "Demand generation manager"),
    ("tomas", "Tomás", "Rivera", (Role.MARKETING,), "", "mona", "Marketing operations specialist"),
    ("samuel", "Samuel", "Osei", (Role.SALES_HEAD,), "", "", "VP Sales"),
    ("harriet", "Harriet", "Chen", (Role.SALES_MANAGER,), "health", "samuel", "Sales manager, Healthcare"),
    (
        "felix",
        "Felix",
        "Moreau",
        (Role.SALES_MANAGER,),
        "finance",
        "samuel",
        "Sales manager, Financial services",
    ),
    ("noah", "Noah", "Patel", (Role.SALES_REP,), "health", "harriet", "Account executive"),
    ("grace", "Grace", "Kim", (Role.SALES_REP,), "health", "harriet", "Account executive"),
    ("omar", "Omar", "Haddad", (Role.SALES_REP,), "health", "harriet", "Account executive"),
    ("julia", "Julia", "Novak", (Role.SALES_REP,), "finance", "felix", "Account executive"),
    ("ben", "Ben", "Carter", (Role.SALES_REP,), "finance", "felix", "Account executive"),
    ("aisha", "Aisha", "Bello", (Role.SALES_REP,), "finance", "felix", "Account executive"),
    ("elena", "Elena", "Rossi", (Role.EXECUTIVE,), "", "", "Chief Executive Officer"),
)
DEMO_USERNAMES = tuple(u[0] for u in DEMO_USERS)

# name, kind, what people coming through it typically did
DEMO_SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Website demo form", SourceKind.FORM, ("demo_request", "demo_request", "inquiry", "whitepaper")),
    ("Webinar registrations", SourceKind.IMPORT, ("webinar",)),
    ("Partner API", SourceKind.API, ("inquiry", "whitepaper")),
    ("Trade show list", SourceKind.IMPORT, ("trade_show",)),
)

TARGET_INDUSTRIES = ("Healthcare", "Hospitals", "Financial services", "Banking", "Insurance")
HEALTH_INDUSTRIES = {"Healthcare", "Hospitals", "Pharmaceuticals"}
FINANCE_INDUSTRIES = {"Financial services", "Banking", "Insurance"}
OTHER_INDUSTRIES = ("Retail", "Manufacturing", "Software", "Education", "Logistics", "Pharmaceuticals")
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "gmx.de")

COMPANY_FIRST = (
    "Northwind",
    "Bluehaven",
    "Cedar",
    "Summit",
    "Harbor",
    "Evergreen",
    "Keystone",
    "Riverside",
    "Granite",
    "Beacon",
    "Silverline",
    "Oakridge",
    "Lakeshore",
    "Pinnacle",
    "Brightwater",
    "Ironwood",
    "Meadow",
    "Crescent",
    "Atlas",
    "Westbrook",
    "Redwood",
    "Sterling",
    "Horizon",
    "Maple",
    "Clearview",
)
COMPANY_SECOND = {
    "Healthcare": ("Health", "Medical Group", "Care Partners", "Clinics"),
    "Hospitals": ("Hospital", "Regional Medical Center", "Health System"),
    "Pharmaceuticals": ("Pharma", "Therapeutics", "Biosciences"),
    "Financial services": ("Capital", "Wealth Management", "Financial", "Advisors"),
    "Banking": ("Bank", "Savings & Loan", "Credit Union"),
    "Insurance": ("Insurance", "Mutual", "Assurance"),
    "Retail": ("Outfitters", "Markets", "Stores"),
    "Manufacturing": ("Industries", "Manufacturing", "Components"),
    "Software": ("Software", "Labs", "Systems"),
    "Education": ("University", "Academy", "Learning"),
    "Logistics": ("Logistics", "Freight", "Shipping"),
}
COUNTRIES = (
    ("United States", 0.5),
    ("United Kingdom", 0.2),
    ("Germany", 0.1),
    ("Canada", 0.1),
    ("Netherlands", 0.05),
    ("France", 0.05),
)
CITIES = {
    "United States": (
        ("Boston", "MA"),
        ("Chicago", "IL"),
        ("Austin", "TX"),
        ("Denver", "CO"),
        ("New York", "NY"),
    ),
    "United Kingdom": (("London", ""), ("Manchester", ""), ("Leeds", "")),
    "Germany": (("Berlin", ""), ("Munich", ""), ("Hamburg", "")),
    "Canada": (("Toronto", "ON"), ("Vancouver", "BC")),
    "Netherlands": (("Amsterdam", ""), ("Utrecht", "")),
    "France": (("Paris", ""), ("Lyon", "")),
}
FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Michelle",
    "Joshua",
    "Amanda",
    "Kevin",
    "Melissa",
    "Brian",
    "Stephanie",
    "Priya",
    "Wei",
    "Fatima",
    "Lukas",
    "Sofia",
    "Mateo",
    "Hannah",
    "Yuki",
    "Amara",
    "Ingrid",
    "Rahul",
    "Chloe",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Schmidt",
    "Müller",
    "Dubois",
    "Tanaka",
    "Okafor",
    "Singh",
    "Fischer",
    "van Dijk",
    "O'Brien",
    "Kowalczyk",
    "Nakamura",
    "Silva",
    "Andersen",
)
# title, weight
TITLES = (
    ("VP of Operations", 4),
    ("VP Finance", 3),
    ("Director of IT", 5),
    ("Director of Revenue Cycle", 3),
    ("Head of Compliance", 3),
    ("Head of Digital", 2),
    ("Chief Information Officer", 2),
    ("Chief Medical Information Officer", 1),
    ("IT Manager", 8),
    ("Operations Manager", 8),
    ("Finance Manager", 6),
    ("Business Analyst", 10),
    ("Software Engineer", 8),
    ("Consultant", 6),
    ("Nurse Manager", 4),
    ("Analyst", 8),
    ("Student", 2),
    ("Coordinator", 6),
    ("Practice Manager", 4),
)

# Criteria version 1: (kind, field, operator, value, points, half-life days, label)
DEMO_RULES: tuple[tuple[str, str, str, Any, int, int | None, str], ...] = (
    (
        "fit",
        "title",
        "regex",
        "(^|[^a-z])(vp|vice president|director|head|chief)([^a-z]|$)",
        20,
        None,
        "Senior title (VP, Director, Head, Chief)",
    ),
    ("fit", "title", "contains", "manager", 10, None, "Manager title"),
    ("fit", "company_size", "gte", 200, 15, None, "Company size ≥ 200"),
    ("fit", "company_size", "gte", 1000, 10, None, "Enterprise (company size ≥ 1000)"),
    ("fit", "industry", "in", list(TARGET_INDUSTRIES), 15, None, "Industry in our target verticals"),
    (
        "fit",
        "country",
        "in",
        ["United States", "United Kingdom", "Canada", "Germany"],
        5,
        None,
        "Country in a sales territory",
    ),
    ("fit", "email_domain", "in", list(FREE_MAIL), -20, None, "Free-mail address (gmail, yahoo, …)"),
    ("disqualifier", "title", "contains", "student", 0, None, "Title says student"),
    ("engagement", "activity", "equals", "demo_request", 35, 30, "Demo request"),
    ("engagement", "activity", "equals", "webinar", 15, 45, "Webinar attended"),
    ("engagement", "activity", "equals", "whitepaper", 10, 30, "Whitepaper download"),
    ("engagement", "activity", "equals", "trade_show", 10, 60, "Trade show badge scan"),
)
MQL_THRESHOLD = 60


@dataclass
class DemoResult:
    """What the demo made, and where the logins were written."""

    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, roles, password
    leads: int = 0
    submissions: int = 0
    duplicates: int = 0
    logins_file: Path | None = None


def demo_exists() -> bool:
    return User.objects.filter(username__in=DEMO_USERNAMES).exists()


@dataclass
class _Company:
    name: str
    domain: str
    industry: str
    size: int
    country: str


@dataclass
class _Person:
    first: str
    last: str
    email: str
    title: str
    phone: str
    company: _Company
    city: str
    state: str


def demo_build(*, seed: int = 2026, leads: int = 1500, now: datetime | None = None) -> DemoResult:
    """Build the whole demo company in one transaction; see the module docstring."""
    rng = random.Random(seed)
    now = now or timezone.now()
    result = DemoResult()
    with transaction.atomic():
        org = Organization.current()
        org.name = "Meridian Clinical & Financial Software"
        org.fiscal_year_start_month = 1
        org.save()
        teams = _teams_create(now)
        users = _users_create(teams)
        sources = {name: source_create(name=name, kind=kind) for name, kind, _ in DEMO_SOURCES}
        _criteria_create(users["mona"], users["samuel"])
        _routing_create(teams, users["samuel"])
        campaigns_create(now=now, actor=users["lena"])
        result.submissions, result.leads = _leads_create(rng, leads, now, sources, users)
        _pipeline_progress(rng, now, teams, users)
        _created_at_backdate()
        _communications_create(rng, now, users)
        records_demo_create(users)
        closed_loop_build(rng=rng, now=now, users=users)
        planning_demo_build(users=users, teams=teams, now=now)
        enablement_demo_create(users=users, now=now)
        demo_intelligence_build(users=users, rng=rng, now=now)
        result.duplicates = PossibleDuplicate.objects.count()
    result.logins = [(u[0], ", ".join(Role(r).label for r in u[3]), DEMO_PASSWORD) for u in DEMO_USERS]
    result.logins_file = logins_write(result.logins)
    return result


def logins_write(logins: list[tuple[str, str, str]]) -> Path:
    """The demo logins, also written to DATA_DIR for whoever set the demo up."""
    path = Path(settings.DATA_DIR) / LOGINS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"Accord demo at {settings.SITE_URL}/", "", f"{'username':<10} {'role':<16} password"]
    lines += [f"{username:<10} {roles:<16} {password}" for username, roles, password in logins]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _teams_create(now: datetime) -> dict[str, Team]:
    year = now.year
    health = Team.objects.create(
        name="Healthcare",
        kind=TeamKind.VERTICAL,
        segment="Healthcare",
        time_zone="America/New_York",
        work_start=time(8, 30),
        work_end=time(17, 30),
    )
    finance = Team.objects.create(
        name="Financial services",
        kind=TeamKind.VERTICAL,
        segment="Financial services",
        time_zone="Europe/London",
        work_start=time(9, 0),
        work_end=time(17, 30),
    )
    TeamHoliday.objects.bulk_create(
        [
            TeamHoliday(team=health, day=date(year, 7, 3), name="Independence Day (observed)"),
            TeamHoliday(team=health, day=_thanksgiving(year), name="Thanksgiving"),
            TeamHoliday(team=health, day=date(year, 12, 25), name="Christmas Day"),
            TeamHoliday(team=finance, day=date(year, 8, 31), name="Summer bank holiday"),
            TeamHoliday(team=finance, day=date(year, 12, 25), name="Christmas Day"),
            TeamHoliday(team=finance, day=date(year, 12, 28), name="Boxing Day (substitute)"),
        ]
    )
    return {"health": health, "finance": finance}


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=3)


def _users_create(teams: dict[str, Team]) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, first, last, roles, team_key, manager, title in DEMO_USERS:
        user = user_create(
            username=username,
            password=DEMO_PASSWORD,
            email=f"{username}@meridian.example",
            first_name=first,
            last_name=last,
            roles=roles,
            team=teams.get(team_key),
            manager=users.get(manager),
        )
        user.title = title
        user.save(update_fields=["title"])
        users[username] = user
    teams["health"].manager = users["harriet"]
    teams["health"].save(update_fields=["manager"])
    teams["finance"].manager = users["felix"]
    teams["finance"].save(update_fields=["manager"])
    return users


def _criteria_create(marketing_head: User, sales_head: User) -> None:
    """Version 1 of the qualification criteria, drafted by marketing and signed off by both heads."""

    draft = criteria_draft_create(user=marketing_head, name="Lead qualification criteria")
    criteria_draft_update(
        criteria_set=draft,
        user=marketing_head,
        name="Lead qualification criteria",
        mql_threshold=MQL_THRESHOLD,
        notes="First agreed version: senior titles at mid-size and larger companies in our verticals, "
        "plus recent demo requests and webinars.",
        rules=[
            {
                "kind": kind,
                "field": name,
                "operator": op,
                "value": value,
                "points": points,
                "half_life_days": half_life,
                "label": label,
            }
            for kind, name, op, value, points, half_life, label in DEMO_RULES
        ],
    )
    criteria_sign_off(
        criteria_set=draft,
        user=marketing_head,
        comment="Matches what our best customers looked like last year.",
    )
    criteria_sign_off(
        criteria_set=draft, user=sales_head, comment="Agreed; revisit the threshold after one quarter."
    )


def _routing_create(teams: dict[str, Team], sales_head: User) -> None:
    """Route MQLs by vertical to each team's reps in turn; anything else waits in the fallback queue.

    The worker routes the MQLs the demo leaves unassigned when it starts, so reps open an inbox with
    running SLA clocks."""

    rules = rule_set_create(actor=sales_head, notes="Demo: leads go to the team of their vertical.")
    for key, industries in (("health", HEALTH_INDUSTRIES), ("finance", FINANCE_INDUSTRIES)):
        rule_add(
            rule_set=rules,
            actor=sales_head,
            name=f"{teams[key].segment} to {teams[key].name}",
            conditions=[{"field": "industry", "operator": "in", "value": sorted(industries)}],
            target_kind="team",
            target_team=teams[key],
        )
    rule_set_activate(rule_set=rules, actor=sales_head)


def _companies(rng: random.Random, count: int) -> list[_Company]:
    companies: list[_Company] = []
    seen: set[str] = set()
    industries = [*TARGET_INDUSTRIES, *TARGET_INDUSTRIES, *OTHER_INDUSTRIES]
    while len(companies) < count:
        industry = rng.choice(industries)
        name = f"{rng.choice(COMPANY_FIRST)} {rng.choice(COMPANY_SECOND[industry])}"
        if name in seen:
            continue
        seen.add(name)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
        size = int(rng.choice((12, 40, 85, 150, 240, 450, 800, 1500, 4000, 12000)) * rng.uniform(0.8, 1.3))
        country = rng.choices([c for c, _ in COUNTRIES], weights=[w for _, w in COUNTRIES])[0]
        tld = {
            "United Kingdom": "co.uk",
            "Germany": "de",
            "Canada": "ca",
            "Netherlands": "nl",
            "France": "fr",
        }
        companies.append(_Company(name, f"{slug}.{tld.get(country, 'com')}", industry, size, country))
    return companies


def _person(rng: random.Random, company: _Company, used: set[str]) -> _Person:
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "").replace("ü", "ue")
        if rng.random() < 0.14:
            email = f"{local}{rng.randint(1, 99)}@{rng.choice(FREE_MAIL)}"
        else:
            email = f"{local}@{company.domain}"
        if email not in used:
            used.add(email)
            break
    title = rng.choices([t for t, _ in TITLES], weights=[w for _, w in TITLES])[0]
    city, state = rng.choice(CITIES[company.country])
    phone = (
        f"+1 {rng.randint(200, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"
        if (rng.random() < 0.6)
        else ""
    )
    return _Person(first, last, email, title, phone, company, city, state)


def _submission(person: _Person, activity: str, source_name: str) -> dict[str, Any]:
    return {
        "email": person.email,
        "first_name": person.first,
        "last_name": person.last,
        "title": person.title,
        "company": person.company.name,
        "phone": person.phone,
        "industry": person.company.industry,
        "company_size": str(person.company.size),
        "city": person.city,
        "state": person.state,
        "country": person.company.country,
        "lead_source": source_name,
        "utm_campaign": UTM_BY_SOURCE.get(source_name, ""),
        "activity": activity,
    }


def _leads_create(
    rng: random.Random, count: int, now: datetime, sources: dict[str, Source], users: dict[str, User]
) -> tuple[int, int]:
    """``count`` people, each arriving once or more over the last year; returns (submissions, leads)."""
    companies = _companies(rng, max(count // 6, 20))
    used: set[str] = set()
    source_weights = (
        ("Website demo form", 0.4),
        ("Webinar registrations", 0.3),
        ("Partner API", 0.15),
        ("Trade show list", 0.15),
    )
    activities_of = {name: acts for name, _, acts in DEMO_SOURCES}
    plan: list[tuple[datetime, _Person, str]] = []
    people: list[_Person] = []
    for _ in range(count):
        # Companies are reused (a few big ones often) so accounts gather several people.
        company = (
            companies[min(int(rng.paretovariate(1.2)) - 1, len(companies) - 1)]
            if rng.random() < 0.3
            else (rng.choice(companies))
        )
        person = _person(rng, company, used)
        people.append(person)
        first_at = now - timedelta(days=rng.uniform(0.2, 365), minutes=rng.randint(0, 600))
        plan.append((first_at, person, _pick(rng, source_weights)))
        # A third come back: webinars, downloads, a demo request, each later than the first touch.
        for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(65, 15, 10, 6, 4))[0]):
            later = first_at + timedelta(days=rng.uniform(1, 120), minutes=rng.randint(0, 600))
            if later < now:
                plan.append((later, person, _pick(rng, source_weights)))
    # A few people come back with a personal address but the same phone: the duplicates queue.
    with_phone = [p for p in people if p.phone and not p.email.endswith(FREE_MAIL)]
    for person in rng.sample(with_phone, min(14, len(with_phone))):
        twin = _Person(
            person.first,
            person.last,
            f"{person.first}{person.last}{rng.randint(1, 9)}@gmail.com".lower()
            .replace(" ", "")
            .replace("'", "")
            .replace("ü", "ue"),
            person.title,
            person.phone,
            person.company,
            person.city,
            person.state,
        )
        plan.append((now - timedelta(days=rng.uniform(0.1, 20)), twin, "Website demo form"))
    plan.sort(key=lambda item: item[0])
    for at, person, source_name in plan:
        source = sources[source_name]
        activity = rng.choice(activities_of[source_name])
        actor = users["lena"] if source.kind == SourceKind.IMPORT else None
        lead_intake(
            data=_submission(person, activity, source_name),
            channel=channel_of_source(source, Channel.API),
            source=source,
            actor=actor,
            occurred_at=at,
        )
    return len(plan), Lead.objects.count()


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([n for n, _ in weighted], weights=[w for _, w in weighted])[0]


def _pipeline_progress(
    rng: random.Random, now: datetime, teams: dict[str, Team], users: dict[str, User]
) -> None:
    """Hand MQLs to reps of the matching vertical and move some on through SAL, SQL, opportunity, customer."""
    reps = {
        key: list(User.objects.filter(team=team, roles__role=Role.SALES_REP).order_by("username"))
        for key, team in teams.items()
    }
    mqls = list(Lead.objects.live().filter(stage=Stage.MQL).order_by("stage_changed_at", "id"))
    for lead in mqls:
        if rng.random() < 0.25:
            continue  # still waiting in the MQL queue
        team_key = (
            "finance"
            if lead.industry in FINANCE_INDUSTRIES
            else ("health" if lead.industry in HEALTH_INDUSTRIES else rng.choice(("health", "finance")))
        )
        rep = rng.choice(reps[team_key])
        at = (lead.stage_changed_at or now) + timedelta(hours=rng.uniform(1, 30))
        if at >= now:
            continue
        Lead.objects.filter(pk=lead.pk).update(owner=rep)
        event_record(
            type="lead.assigned",
            subject=lead,
            channel=Channel.SYSTEM,
            occurred_at=at,
            payload={
                "owner": rep.username,
                "owner_name": rep.get_full_name(),
                "team": teams[team_key].name,
                "reason": f"{teams[team_key].name} vertical",
            },
        )
        steps = [
            (Stage.SAL, 0.85, (2, 48), "Accepted: fits our vertical, reached out."),
            (Stage.SQL, 0.6, (48, 24 * 20), "Discovery call held: budget and a project this year."),
            (Stage.OPPORTUNITY, 0.6, (24 * 5, 24 * 30), "Proposal requested."),
            (Stage.CUSTOMER, 0.45, (24 * 20, 24 * 70), "Contract signed."),
        ]
        for stage, chance, (low, high), reason in steps:
            if rng.random() > chance:
                if stage == Stage.SAL and rng.random() < 0.5:
                    at += timedelta(hours=rng.uniform(2, 40))
                    if at < now:
                        _stage_at(
                            lead, Stage.NURTURE, rep, "Not ready to buy this year; back to nurture.", at
                        )
                break
            at += timedelta(hours=rng.uniform(low, high))
            if at >= now:
                break
            _stage_at(lead, stage, rep, reason, at)


def _stage_at(lead: Lead, stage: str, actor: User, reason: str, at: datetime) -> None:
    """``lead_stage_set`` as if done at ``at``: demo history is backdated so time in stage looks real."""
    lead_stage_set(lead=lead, stage=stage, actor=actor, reason=reason, channel=Channel.PAGE, occurred_at=at)


def _created_at_backdate() -> None:
    """A demo lead was 'created' when it first came in, not when the demo ran."""
    first_seen = (
        Event.objects.filter(subject_type="lead", subject_id=OuterRef("pk"))
        .order_by()
        .values("subject_id")
        .annotate(first=Min("occurred_at"))
        .values("first")
    )
    Lead.objects.update(created_at=Coalesce(Subquery(first_seen), F("created_at")))


def _communications_create(rng: random.Random, now: datetime, users: dict[str, User]) -> None:
    """A campaign with two A/B-tested emails sent weeks ago, with opens, clicks and replies, so the
    communication pages open on a real verdict. Demo sends are recorded, not mailed (dummy backend)."""
    lena = users["lena"]
    campaign = campaign_create(
        name="Spring webinar series",
        actor=lena,
        channel=CampaignChannel.EMAIL,
        status=CampaignStatus.ACTIVE,
        start_date=(now - timedelta(days=45)).date(),
        budget="12000",
        utm_campaign="spring-webinars",
        event_channel=Channel.SYSTEM,
    )
    people = list(Lead.objects.live().exclude(email="").order_by("pk").values_list("pk", flat=True)[:460])
    outbox = get_connection("django.core.mail.backends.dummy.EmailBackend")
    tests = (
        # name, metric, days ago, recipients, variants (subject, chance of the metric)
        (
            "Webinar invitation",
            SuccessMetric.CLICK,
            30,
            people[:400],
            (
                ("Webinar: a faster month-end close for {company}", 0.07),
                ("{first_name}, 40 minutes to a faster close?", 0.15),
            ),
        ),
        (
            "Case study follow-up",
            SuccessMetric.REPLY,
            10,
            people[400:],
            (
                ("How a regional lender cut reconciliation time in half", 0.04),
                ("Question about your reconciliation process", 0.07),
                ("Case study: 50% less reconciliation time", 0.05),
            ),
        ),
    )
    for name, metric, days_ago, recipients, variants in tests:
        communication = communication_create(
            campaign=campaign,
            actor=lena,
            name=name,
            body="Hi {first_name},\n\nOur spring webinars show how teams like {company}'s close faster: "
            "https://meridian.example/webinars/spring\n\nLena",
            success_metric=metric,
            variants=[VariantSpec(subject=subject) for subject, _ in variants],
            event_channel=Channel.SYSTEM,
        )
        sent_at = now - timedelta(days=days_ago)
        communication_send(
            communication=communication,
            actor=lena,
            lead_ids=recipients,
            at=sent_at,
            connection=outbox,
            event_channel=Channel.SYSTEM,
        )
        rates = {chr(ord("A") + i): p for i, (_, p) in enumerate(variants)}
        outcome = Outcome.CLICKED if metric == SuccessMetric.CLICK else Outcome.REPLIED
        deliveries = list(
            Delivery.objects.filter(communication=communication)
            .select_related("variant", "lead", "communication__campaign")
            .order_by("pk")
        )
        for key, rate in rates.items():
            # Exactly the planned share of each variant converts (random people), so the demo's verdict
            # does not hinge on the seed.
            group = [d for d in deliveries if d.variant.key == key]
            for delivery in rng.sample(group, round(rate * len(group))):
                at = sent_at + timedelta(hours=rng.uniform(0.5, 24 * min(days_ago - 1, 10)))
                delivery_outcome_record(
                    delivery=delivery, outcome=outcome, occurred_at=at, event_channel=Channel.EMAIL
                )
        for delivery in deliveries:
            if rng.random() < 0.35:
                at = sent_at + timedelta(hours=rng.uniform(0.2, 48))
                delivery_outcome_record(
                    delivery=delivery, outcome=Outcome.OPENED, occurred_at=at, event_channel=Channel.EMAIL
                )
