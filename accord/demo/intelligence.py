"""Demo data for intelligence and knowledge: answers reps can find, questions (answered and open), two
research questions with a quarter of answers (one rep answers far more than the others, so the skew
flag shows), a closed anonymous pulse survey and an open one, field reports with corroboration and
customer research, and ride-alongs. Everything goes through the apps' services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from accord.intelligence import services as intel
from accord.intelligence.models import ReportOrigin, ReportTopic, ResearchAnswer
from accord.knowledge import services as knowledge
from accord.people.models import Role, User

# (title as a rep would ask it, body). Also the corpus of the knowledge search-quality test.
ANSWERS: tuple[tuple[str, str], ...] = (
    (
        "Do we give discounts to hospitals and health systems?",
        "Yes: non-profit hospitals get 15% off list on annual plans; health systems with more than five sites "
        "get volume pricing from the pricing desk. Discounts above 20% need the sales head's approval.",
    ),
    (
        "How does our pricing compare with Medica Systems?",
        "Medica quotes per bed and adds implementation fees; we price per user with implementation included. "
        "For a 200-bed hospital we come out about 10% cheaper over three years. Use the TCO calculator.",
    ),
    (
        "Are we HIPAA compliant and will we sign a BAA?",
        "Yes. We sign a business associate agreement on request; the template is in the legal folder. "
        "Our SOC 2 Type II report covers the controls HIPAA asks about.",
    ),
    (
        "Where is customer data hosted?",
        "In AWS data centres in Frankfurt (EU customers) and Virginia (US customers). Data stays in the region "
        "chosen at signup; backups are encrypted and kept in the same region.",
    ),
    (
        "How long does an implementation take?",
        "A standard rollout takes six to eight weeks: two weeks of data migration, two of configuration, "
        "two of training and go-live support. Large health systems plan for twelve weeks.",
    ),
    (
        "Which EHR systems do we integrate with?",
        "Epic, Cerner (Oracle Health) and Meditech through HL7 and FHIR interfaces; athenahealth through its "
        "marketplace. Other electronic health record systems through our open API.",
    ),
    (
        "Can customers cancel the annual contract early?",
        "Annual contracts can be terminated with 90 days' notice after the first year; in year one only for "
        "breach. Monthly plans can be cancelled any time.",
    ),
    (
        "What is the free trial and how do I set one up?",
        "Prospects get a 30-day trial with sample data. Request it from the trial form in the sales portal; "
        "the sandbox is ready within one business day.",
    ),
    (
        "Which case studies can I send to a bank?",
        "For financial services use the Northbridge Credit Union and Alder Bank case studies; both show "
        "reporting time cut by half. Ask marketing before naming a customer in a proposal.",
    ),
    (
        "Do we have a security questionnaire already filled in?",
        "Yes: the completed SIG Lite and CAIQ questionnaires are in the security folder. Send them with the "
        "SOC 2 report under NDA; new questions go to the security team.",
    ),
    (
        "What uptime do we guarantee in the SLA?",
        "The service level agreement guarantees 99.9% availability per month, with service credits of 5% per "
        "0.1% below it. Planned maintenance is announced a week ahead and excluded.",
    ),
    (
        "Who are our main competitors in financial services?",
        "FinLedger and Corvus Analytics. FinLedger wins on price for small credit unions; Corvus on custom "
        "dashboards. We win on compliance reporting and on support response times.",
    ),
    (
        "Is there a mobile app?",
        "Yes, for iOS and Android. Clinicians and advisers use it for approvals and alerts; full reporting "
        "stays in the browser.",
    ),
    (
        "How do I book a product demo with a solutions engineer?",
        "Book through the demo calendar in the sales portal at least two working days ahead; include the "
        "prospect's use case and attendees so the solutions engineer can prepare.",
    ),
    (
        "What training do new customers get?",
        "Every plan includes live onboarding sessions for administrators, recorded courses for end users and "
        "a customer success manager for the first ninety days.",
    ),
)

RESEARCH_QUESTIONS = (
    ("Did the prospect mention a competitor?", ["Medica", "FinLedger", "Corvus", "Another", "None"]),
    ("Is budget approved for this year?", ["Yes", "No", "Don't know"]),
)


def demo_intelligence_build(*, users: dict[str, User], rng: random.Random, now: datetime) -> None:
    """Fill intelligence and knowledge for the demo company."""
    mona, lena, tomas = users["mona"], users["lena"], users["tomas"]
    reps = [u for u in users.values() if u.has_role(Role.SALES_REP)]
    _knowledge(users, rng, now)
    questions = [
        intel.research_question_create(user=lena, text=text, options=options, activate=True)
        for text, options in RESEARCH_QUESTIONS
    ]
    # A quarter of one-click answers; one rep (the first) answers four times as often as the rest.
    rows: list[ResearchAnswer] = []
    weights = {"Medica": 3, "FinLedger": 2, "Corvus": 1, "Another": 1, "None": 3}
    for i, rep in enumerate(reps):
        count = 60 if i == 0 else 15
        for _ in range(count):
            at = now - timedelta(days=rng.randint(0, 85), hours=rng.randint(0, 8))
            pick = rng.choices(list(weights), weights=list(weights.values()))[0] if i else "Medica"
            rows.append(ResearchAnswer(question=questions[0], rep=rep, option=pick, answered_at=at))
            rows.append(
                ResearchAnswer(
                    question=questions[1],
                    rep=rep,
                    option=rng.choice(["Yes", "No", "Don't know"]),
                    answered_at=at,
                )
            )
    ResearchAnswer.objects.bulk_create(rows)
    _surveys(mona, reps, rng, now)
    _field_reports(users, reps, rng)
    intel.rotation_propose(user=mona, on=now.date())
    request = intel.ride_along_request(user=reps[1], reason="CFO asks how we compare with FinLedger")
    intel.ride_along_decide(user=tomas, ride_along_id=request.pk, accept=True)


def _knowledge(users: dict[str, User], rng: random.Random, now: datetime) -> None:
    owners = [users["lena"], users["tomas"]]
    answers = []
    for i, (title, body) in enumerate(ANSWERS):
        answer = knowledge.answer_create(
            user=owners[i % 2],
            title=title,
            body=body,
            review_by=now.date() + timedelta(days=rng.randint(20, 200)),
        )
        answers.append(answer)
    reps = [u for u in users.values() if u.has_role(Role.SALES_REP)]
    asked = (
        ("Is there a discount for a non-profit hospital?", 0),
        ("Medica says they are cheaper, is that true?", 1),
        ("Can we sign a BAA with a clinic?", 2),
        ("Where are the servers located for EU customers?", 3),
    )
    for text, index in asked:
        for rep in rng.sample(reps, 3):
            knowledge.question_ask(user=rep, text=text, resolved_by=answers[index])
    knowledge.question_ask(user=reps[0], text="Do we support single sign-on with Okta?")
    knowledge.question_ask(user=reps[-1], text="Is there a reseller programme for consultancies?")


def _surveys(mona: User, reps: list[User], rng: random.Random, now: datetime) -> None:
    closed = intel.survey_create(
        user=mona,
        title="Quarterly pulse",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=30),
        anonymous=True,
        repeat_quarterly=False,
    )
    challenges = [
        "Prospects ask for hospital references we do not have",
        "Pricing sheet is out of date",
        "Webinar leads are not ready to talk",
        "Too many tools, hard to find the right deck",
    ]
    objections = ["Too expensive", "Happy with Medica", "No budget this year", "Worried about migration"]
    for rep in reps:
        intel.survey_respond(
            user=rep,
            survey=closed,
            answers={
                "marketing_score": rng.choice([2, 3, 3, 4, 4, 5]),
                "challenges": rng.choice(challenges),
                "tools": rng.sample(["Case studies", "Battle cards", "Webinars", "Pricing calculator"], 2),
                "objections": rng.choice(objections),
            },
        )
    intel.survey_close(survey=closed)
    intel.survey_create(
        user=mona,
        title="Quarterly pulse",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
        anonymous=True,
        repeat_quarterly=True,
    )


def _field_reports(users: dict[str, User], reps: list[User], rng: random.Random) -> None:
    first = intel.field_report_create(
        user=reps[0],
        topic=ReportTopic.COMPETITOR,
        competitor="Medica",
        summary="Medica offers free implementation to hospitals switching before year end",
    )
    intel.field_report_create(
        user=reps[1],
        topic=ReportTopic.COMPETITOR,
        competitor="Medica",
        summary="Heard the same free-implementation offer from Medica at St. Luke's",
        corroborates=first,
    )
    research = intel.field_report_create(
        user=users["lena"],
        topic=ReportTopic.COMPETITOR,
        competitor="FinLedger",
        origin=ReportOrigin.TRADE_SHOW,
        summary="FinLedger launched a credit-union bundle at FinTech Expo",
        source_url="https://example.com/fintech-expo-notes",
    )
    rumour = intel.field_report_create(
        user=reps[3],
        topic=ReportTopic.COMPETITOR,
        competitor="FinLedger",
        summary="A credit union said FinLedger now bundles reporting for free",
    )
    intel.field_report_corroborate(user=users["lena"], report=rumour, by_report=research)
    extra: list[dict[str, Any]] = [
        {
            "topic": ReportTopic.BUZZ,
            "summary": "Hospitals are delaying purchases until the new reimbursement rules",
        },
        {
            "topic": ReportTopic.PRODUCT,
            "product": "Mobile app",
            "summary": "Clinicians want offline approvals",
        },
        {
            "topic": ReportTopic.OBJECTION,
            "summary": "Migration from spreadsheets looks risky to finance teams",
        },
        {
            "topic": ReportTopic.COMPETITOR,
            "competitor": "Corvus",
            "summary": "Corvus demoed custom dashboards",
        },
    ]
    for fields in extra:
        intel.field_report_create(user=rng.choice(reps), **fields)
    intel.field_report_create(
        user=users["tomas"],
        topic=ReportTopic.PRODUCT,
        product="Mobile app",
        origin=ReportOrigin.SERVICE_CALL,
        summary="Two customers asked support for offline approvals this month",
    )
