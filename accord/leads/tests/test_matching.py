"""Account matching: domain, website, exact and fuzzy company names; free mail never matches."""

from __future__ import annotations

import pytest

from accord.leads.matching import AccountIndex
from accord.leads.models import Account, AccountDomain
from accord.leads.normalize import company_key

pytestmark = pytest.mark.django_db


def make_account(name: str, domain: str = "") -> Account:
    account = Account.objects.create(name=name, name_key=company_key(name))
    if domain:
        AccountDomain.objects.create(account=account, domain=domain)
    return account


@pytest.fixture(params=["database", "preloaded"])
def index(request):
    return (lambda: AccountIndex().preload()) if request.param == "preloaded" else AccountIndex


def test_it_matches_by_email_domain(index):
    acme = make_account("Acme Corporation", "acme.com")
    found = index().match(email="ana@acme.com", company="Something else")
    assert (found.account_id, found.how) == (acme.pk, "domain")


def test_it_never_matches_free_mail_domains(index):
    make_account("Gmail fans", "gmail.com")
    found = index().match(email="ana@gmail.com")
    assert found.account_id is None


def test_it_matches_by_website_when_the_email_is_free_mail(index):
    acme = make_account("Acme", "acme.com")
    found = index().match(email="ana@gmail.com", website="https://www.acme.com/about")
    assert (found.account_id, found.how) == (acme.pk, "website")


def test_it_matches_the_exact_normalised_company_name(index):
    acme = make_account("ACME, Inc.")
    found = index().match(email="ana@gmail.com", company="Acme")
    assert (found.account_id, found.how) == (acme.pk, "name")


def test_it_matches_a_similar_company_name_above_the_threshold(index):
    globex = make_account("Globex Pharmaceuticals")
    found = index().match(email="ana@gmail.com", company="Globex Pharmaceutical")
    assert found.account_id == globex.pk
    assert found.how.startswith("fuzzy:")


def test_it_does_not_match_a_dissimilar_company_name(index):
    make_account("Globex Pharmaceuticals")
    assert index().match(email="ana@gmail.com", company="Initech Software").account_id is None
