"""The demo company's enablement: a committee for this year, an agreed brief and one still open, material
in the library (used, shared, rated), one piece in front of the committee and legal, a rep's own
submission, and a positioning round for a new product. Everything goes through the services."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from accord.enablement.models import BRIEF_OUTCOMES, BRIEF_QUESTIONS, Approver, Gate
from accord.enablement.services import (
    MaterialSpec,
    brief_agree,
    brief_create,
    committee_set,
    material_comment_add,
    material_create,
    material_opened,
    material_publish,
    material_submit_review,
    positioning_answer_set,
    positioning_round_open,
    rating_set,
    reviews_remind_and_close,
    share_create,
)
from accord.leads.models import Lead
from accord.people.models import User

# A one-page PDF (its bytes are what the upload check reads).
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

_CLAIMS = {
    "benefits_whom": "Revenue-cycle directors and CFOs of mid-size hospitals.",
    "what_it_does": "Checks and submits claims automatically, so denials are caught before they happen.",
    "customer_growth": "Denials fall by a third; cash arrives two weeks earlier; staff move to appeals that pay.",
    "how_it_differs": "Every decision has an audit trail payers accept; competitors' rule engines are black boxes. "
    "Fits our promise: software a compliance officer can sign.",
    "where_useful": "Hospitals with 100-800 beds billing several payers; strongest where denial rates exceed 8%.",
    "why_good_investment": "Pays for itself within two quarters on recovered denials alone.",
    "when_payoff": "First results in the first month; full payback in five to six months.",
    "whats_in_it_for_sales": "A short, quantified story for CFOs, a calculator for the proposal, and a reference customer.",
    "brand_message": "Claims you can defend.",
    "value_proposition": "Cut denials by a third and get paid two weeks sooner, with an audit trail payers accept.",
    "differentiation": "The only claims engine whose every decision can be shown to an auditor.",
}


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _PDF, content_type="application/pdf")


def enablement_demo_create(*, users: dict[str, User], now: datetime) -> None:
    """Fill enablement for the demo users (``users`` by username, as the demo builds them)."""
    marketing, head, rep, rep2, finance_rep = (
        users["lena"],
        users["mona"],
        users["noah"],
        users["grace"],
        users["julia"],
    )
    Approver.objects.create(user=users["elena"], gate=Gate.LEGAL)  # the demo's executive stands in for legal
    Approver.objects.create(user=users["adrian"], gate=Gate.COMPLIANCE)
    year = now.year
    committee_set(
        user=head,
        name=f"FY{year}",
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
        member_ids=[rep.pk, finance_rep.pk],
    )

    claims = brief_create(
        user=marketing,
        title="Claims Automation 3.0",
        product="Claims Automation",
        subject="product",
        texts=_CLAIMS,
    )
    brief_agree(brief=claims, user=marketing)
    brief_agree(brief=claims, user=rep)
    analytics_texts = {name: "" for name, _ in BRIEF_QUESTIONS + BRIEF_OUTCOMES}
    analytics_texts.update(
        benefits_whom="Finance teams of hospital groups.",
        what_it_does="Shows where revenue leaks across the revenue cycle.",
    )
    brief_create(
        user=marketing,
        title="Revenue Cycle Analytics",
        product="Revenue Cycle Analytics",
        subject="product",
        texts=analytics_texts,
    )

    battlecard = material_create(
        user=marketing,
        spec=MaterialSpec(
            title="Claims Automation battlecard",
            brief_id=claims.pk,
            product="Claims Automation",
            stage="evaluation",
            vertical="Healthcare",
            competitor="Cernex",
            questions="How do you handle payer-specific rules?\nCan auditors see why a claim was held?",
            description="One page against Cernex: where we win, the traps to set, the proof points.",
        ),
        upload=_pdf("claims-battlecard.pdf"),
        note="First edition",
    )
    calculator = material_create(
        user=marketing,
        spec=MaterialSpec(
            title="Denials ROI calculator",
            brief_id=claims.pk,
            product="Claims Automation",
            stage="proposal",
            vertical="Healthcare",
            customer_facing=False,
            questions="What will we save?",
            description="Put the prospect's denial rate in; get the payback.",
        ),
        url="https://meridian.example/tools/denials-roi",
    )
    for material in (battlecard, calculator):
        material_submit_review(material=material, user=marketing)
    material_comment_add(
        material=battlecard, user=rep, body="Lead with the audit trail: it is what CFOs ask first.", page=1
    )
    material_comment_add(
        material=battlecard,
        user=finance_rep,
        body="Say 'payer' rather than 'insurer' for US buyers.",
        quote="insurer rules",
    )
    reviews_remind_and_close()
    for material in (battlecard, calculator):
        material_publish(
            material=material,
            user=marketing,
            change_note="New for the Claims Automation 3.0 launch: the story the committee asked for, up front.",
        )

    case_study = material_create(
        user=users["tomas"],
        spec=MaterialSpec(
            title="St. Anne's Hospital case study",
            brief_id=claims.pk,
            product="Claims Automation",
            stage="closing",
            vertical="Healthcare",
            needs_legal=True,
            questions="Who else uses it like us?",
        ),
        upload=_pdf("st-annes-case-study.pdf"),
        note="Draft approved by the customer's PR team",
    )
    material_submit_review(material=case_study, user=users["tomas"])
    material_create(
        user=rep2,
        spec=MaterialSpec(
            title="Objection handling: 'we already have a clearinghouse'",
            product="Claims Automation",
            stage="discovery",
            vertical="Healthcare",
            questions="We already have a clearinghouse.",
        ),
        url="https://meridian.example/notes/clearinghouse-objection",
    )

    for user, score, missing in (
        (rep, 5, ""),
        (rep2, 4, "A version for finance buyers"),
        (finance_rep, 3, "Banking examples"),
    ):
        rating_set(material=battlecard, user=user, usefulness=score, missing=missing)
        material_opened(material=battlecard, user=user)
    lead = Lead.objects.filter(owner=rep, merged_into__isnull=True).order_by("pk").first()
    if lead is not None:
        share_create(material=battlecard, user=rep, lead_id=lead.pk)

    round_ = positioning_round_open(
        user=marketing,
        product="Revenue Cycle Analytics",
        deadline=now + timedelta(days=5),
        question="Which current customers would buy it first?",
    )
    positioning_answer_set(
        round_id=round_.pk,
        user=rep,
        against_existing_line="The dashboard on top of Claims Automation, "
        "sold to the CFO rather than the revenue-cycle director.",
        expected_objections="'Our BI team already builds these reports.'",
    )
    positioning_answer_set(
        round_id=round_.pk,
        user=finance_rep,
        against_existing_line="A separate product for hospital groups with several billing systems.",
        expected_objections="Data access and integration effort.",
    )
