"""The one access layer: the "manages" relation, and who sees and acts on leads and deals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.core.errors import AccessDenied, NotFound
from accord.people import access
from accord.people.models import Role
from accord.people.tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


def _lead(owner, email):
    from accord.campaigns.tests.factories import LeadFactory
    from accord.leads.models import Stage

    return LeadFactory(email=email, owner=owner, stage=Stage.SAL)


def _deal(lead):
    from accord.deals.models import Deal
    from accord.leads.models import Account

    account = Account.objects.create(name=f"{lead.email} Inc", name_key=f"{lead.email} inc", owner=lead.owner)
    return Deal.objects.create(name=f"{lead.email} deal", account=account, contact=lead, owner=lead.owner,
                               amount=Decimal("10"), created_by=lead.owner)  # fmt: skip


def test_a_manager_manages_everyone_below_them_not_only_their_direct_reports(personas):
    p = personas
    assert set(access.managed_users(p.sam)) == {p.mike, p.fiona, p.bob, p.carol, p.charlie}
    assert set(access.managed_users(p.mike)) == {p.bob, p.carol}
    assert set(access.managed_users(p.bob)) == set()
    assert access.manages(p.sam, p.charlie)
    assert not access.manages(p.mike, p.charlie)
    assert not access.manages(p.bob, p.carol)


def test_a_team_manager_manages_a_member_who_has_no_manager_of_their_own(personas):
    newcomer = user_with_roles("nina", Role.SALES_REP, team=personas.health)
    assert access.manages(personas.mike, newcomer)
    assert access.manages(personas.sam, newcomer)  # mike's manager, through the team
    assert set(access.managers_of(newcomer)) == {personas.mike, personas.sam}


def test_a_loop_in_the_manager_chain_ends(personas):
    a = user_with_roles("ann", Role.SALES_MANAGER)
    b = user_with_roles("ben", Role.SALES_MANAGER, manager=a)
    a.manager = b
    a.save()
    a = type(a).objects.get(pk=a.pk)
    assert set(access.managed_users(a)) == {b}
    assert set(access.managers_of(a)) == {b}


def test_a_second_level_manager_sees_and_acts_on_the_leads_two_levels_down(personas):
    """The whole chain, not direct reports: before the access layer the lead lists hid these leads from
    a manager's manager while the SLA actions let them act."""
    p = personas
    dora = user_with_roles("dora", Role.SALES_MANAGER)
    p.mike.manager = dora
    p.mike.save()
    lead = _lead(p.bob, "deep@chain.example")
    deal = _deal(lead)
    assert access.leads_visible_to(dora).filter(pk=lead.pk).exists()
    assert access.leads_actionable_by(dora).filter(pk=lead.pk).exists()
    assert access.deals_actionable_by(dora).filter(pk=deal.pk).exists()


def test_a_rep_sees_a_teammates_lead_but_may_not_act_on_it(personas):
    lead = _lead(personas.carol, "carols@acme.example")
    assert access.leads_visible_to(personas.bob).filter(pk=lead.pk).exists()
    assert not access.leads_actionable_by(personas.bob).filter(pk=lead.pk).exists()
    assert access.leads_actionable_by(personas.carol).filter(pk=lead.pk).exists()
    assert access.leads_actionable_by(personas.mike).filter(pk=lead.pk).exists()


def test_a_rep_does_not_see_a_teammates_deal(personas):
    deal = _deal(_lead(personas.carol, "carols@acme.example"))
    assert not access.deals_visible_to(personas.bob).filter(pk=deal.pk).exists()
    assert access.deals_visible_to(personas.mike).filter(pk=deal.pk).exists()


def test_marketing_changes_any_leads_stage_but_does_not_work_the_lead(personas):
    lead = _lead(personas.bob, "bobs@acme.example")
    assert access.leads_actionable_by(personas.alice, "stage").filter(pk=lead.pk).exists()
    assert not access.leads_actionable_by(personas.alice, "act").filter(pk=lead.pk).exists()
    assert not access.leads_actionable_by(personas.alice, "convert").filter(pk=lead.pk).exists()


def test_only_managers_of_the_owner_reassign_and_a_rep_never_does(personas):
    lead = _lead(personas.bob, "bobs@acme.example")
    assert not access.leads_actionable_by(personas.bob, "reassign").filter(pk=lead.pk).exists()
    assert access.leads_actionable_by(personas.mike, "reassign").filter(pk=lead.pk).exists()
    assert not access.leads_actionable_by(personas.fiona, "reassign").filter(pk=lead.pk).exists()


def test_a_lead_one_may_not_see_is_not_found_and_one_one_may_not_act_on_is_forbidden(personas):
    lead = _lead(personas.bob, "bobs@acme.example")
    with pytest.raises(NotFound):
        access.access_lead_by_id(personas.charlie, lead.pk, action="act")
    with pytest.raises(AccessDenied, match="owner"):
        access.access_lead_by_id(personas.carol, lead.pk, action="act")
    assert access.access_lead_by_id(personas.mike, lead.pk, action="act") == lead
    with pytest.raises(NotFound):
        access.access_lead_by_id(personas.root, 10**9, action="view")


def test_a_deactivated_user_sees_nothing(personas):
    _lead(personas.bob, "bobs@acme.example")
    personas.alice.is_active = False
    assert not access.leads_visible_to(personas.alice).exists()
    assert not access.campaigns_visible_to(personas.alice).exists()


def test_restrict_narrows_any_queryset_like_the_entitys_own_rules(personas):
    from accord.leads.models import Lead

    mine = _lead(personas.bob, "bobs@acme.example")
    theirs = _lead(personas.charlie, "charlies@bank.example")
    assert set(access.restrict(Lead.objects.all(), personas.bob, "view")) == {mine}
    assert set(access.restrict(Lead.objects.filter(pk=theirs.pk), personas.fiona, "act")) == {theirs}
    assert not access.restrict(Lead.objects.all(), personas.alice, "act").exists()


def test_restrict_refuses_a_model_that_has_no_access_rules(personas):
    from accord.qualification.models import CriteriaSet

    with pytest.raises(LookupError, match="no access rules"):
        access.restrict(CriteriaSet.objects.all(), personas.root, "view")


def test_the_lead_list_asks_a_fixed_number_of_queries_for_the_manager_chain(
    personas, django_assert_max_num_queries
):
    """The chain is walked once per request (one query per level), not once per lead."""
    for i in range(5):
        _lead(personas.bob, f"lead{i}@acme.example")
    sam = type(personas.sam).objects.get(pk=personas.sam.pk)
    mike = type(personas.mike).objects.get(pk=personas.mike.pk)
    with django_assert_max_num_queries(5):
        assert len(list(access.leads_visible_to(mike))) == 5
        assert len(list(access.leads_actionable_by(mike))) == 5
    assert len(list(access.leads_actionable_by(sam))) == 5


def test_a_manager_answers_for_the_teams_they_manage_and_the_teams_of_everyone_below(personas):
    p = personas
    assert set(access.managed_teams(p.mike)) == {p.health}
    assert set(access.managed_teams(p.sam)) == {p.health, p.finance}
    assert set(access.managed_teams(p.bob)) == set()


def test_signed_in_user_gives_a_pages_signed_in_user_and_refuses_the_anonymous_one(personas, rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = personas.bob
    assert access.signed_in_user(request) is personas.bob

    request.user = AnonymousUser()
    with pytest.raises(AccessDenied, match="sign in"):
        access.signed_in_user(request)


def test_the_anonymous_user_sees_and_may_do_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    _lead(personas.bob, "anon-check@example.com")
    nobody = AnonymousUser()
    assert not access.is_signed_in(nobody)
    assert access.leads_visible_to(nobody).count() == 0
    assert access.leads_actionable_by(nobody).count() == 0
    assert access.accounts_visible_to(nobody).count() == 0
    assert access.managed_user_ids(nobody) == frozenset()
