"""Account control (C3): copies of marketing communications for a rep's accounts, and messages sent
under the rep's name only with their consent."""

from __future__ import annotations

import pytest

from accord.core.errors import ApplicationError
from accord.leads.models import Account, Lead, Stage
from accord.notifications.models import CopyScope
from accord.notifications.selectors import copy_recipients_for, sender_for
from accord.notifications.services import (
    copy_request_create,
    copy_request_delete,
    sender_consent_grant,
    sender_consent_revoke,
)


@pytest.fixture
def mercy(personas):
    return Account.objects.create(name="Mercy Hospital", name_key="mercy hospital", owner=personas.bob)


@pytest.fixture
def ana(mercy):
    return Lead.objects.create(
        email="ana@mercy.example", email_key="ana@mercy.example", account=mercy, stage=Stage.MQL
    )


def test_a_rep_asking_for_all_their_accounts_gets_copies_for_their_accounts_leads(personas, ana):
    copy_request_create(user=personas.bob, scope=CopyScope.ALL_MY_ACCOUNTS)
    copy_request_create(user=personas.charlie, scope=CopyScope.ALL_MY_ACCOUNTS)
    assert copy_recipients_for(ana) == [personas.bob]


def test_all_my_accounts_also_covers_leads_i_own_outside_an_account(personas):
    lead = Lead.objects.create(email="x@free.example", email_key="x@free.example", owner=personas.carol)
    copy_request_create(user=personas.carol, scope=CopyScope.ALL_MY_ACCOUNTS)
    assert copy_recipients_for(lead) == [personas.carol]


def test_a_teammate_may_ask_for_one_account_of_the_team_but_an_outsider_may_not(personas, mercy, ana):
    copy_request_create(user=personas.carol, scope=CopyScope.ACCOUNT, account=mercy)
    assert copy_recipients_for(ana) == [personas.carol]
    with pytest.raises(ApplicationError):
        copy_request_create(user=personas.charlie, scope=CopyScope.ACCOUNT, account=mercy)
    with pytest.raises(ApplicationError):
        copy_request_create(user=personas.carol, scope=CopyScope.ACCOUNT, account=None)


def test_asking_twice_keeps_one_request_and_stopping_ends_the_copies(personas, ana):
    first = copy_request_create(user=personas.bob, scope=CopyScope.ALL_MY_ACCOUNTS)
    assert copy_request_create(user=personas.bob, scope=CopyScope.ALL_MY_ACCOUNTS) == first
    copy_request_delete(request=first, user=personas.bob)
    assert copy_recipients_for(ana) == []


def test_inactive_reps_get_no_copies(personas, ana):
    copy_request_create(user=personas.bob, scope=CopyScope.ALL_MY_ACCOUNTS)
    personas.bob.is_active = False
    personas.bob.save()
    assert copy_recipients_for(ana) == []


def test_messages_go_from_the_default_sender_without_consent(personas, ana, settings):
    settings.DEFAULT_FROM_EMAIL = "marketing@accord.example"
    choice = sender_for(ana)
    assert (choice.from_email, choice.user) == ("marketing@accord.example", None)
    assert "has not agreed" in choice.reason


def test_messages_go_under_the_reps_name_once_they_consent_and_not_after_they_revoke(personas, ana, settings):
    settings.DEFAULT_FROM_EMAIL = "marketing@accord.example"
    consent = sender_consent_grant(user=personas.bob)
    assert sender_consent_grant(user=personas.bob) == consent
    choice = sender_for(ana)
    assert choice.user == personas.bob and choice.from_email == "Bob <bob@example.com>"
    sender_consent_revoke(consent=consent, user=personas.bob)
    assert sender_for(ana).user is None
    consent.refresh_from_db()
    assert consent.revoked_at is not None  # kept: under whose name past messages went stays known


def test_the_lead_owner_wins_over_the_account_owner_and_consent_can_cover_one_account(personas, ana, mercy):
    ana.owner = personas.carol
    ana.save()
    sender_consent_grant(user=personas.bob)
    assert sender_for(ana).user is None  # carol owns the lead and has not agreed
    sender_consent_grant(user=personas.carol, scope=CopyScope.ACCOUNT, account=mercy)
    assert sender_for(ana).user == personas.carol
    other = Lead.objects.create(email="z@z.example", email_key="z@z.example", owner=personas.carol)
    assert sender_for(other).user is None  # her consent covers Mercy only


def test_nobody_revokes_someone_elses_consent(personas):
    consent = sender_consent_grant(user=personas.bob)
    with pytest.raises(ApplicationError):
        sender_consent_revoke(consent=consent, user=personas.carol)
