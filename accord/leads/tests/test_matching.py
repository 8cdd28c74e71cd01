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


def test_the_blocking_index_follows_the_account_name():
    from accord.leads.models import AccountNameKey

    account = make_account("Globex Pharmaceuticals")
    assert set(AccountNameKey.objects.filter(account=account).values_list("key", flat=True)) == {
        "<glob",
        ">cals",
    }
    account.name, account.name_key = "Initech", company_key("Initech")
    account.save()
    assert set(AccountNameKey.objects.filter(account=account).values_list("key", flat=True)) == {
        "<init",
        ">tech",
    }
    found = AccountIndex().match(email="ana@gmail.com", company="Initech Software Systems Inc")
    assert found.account_id is None  # too far for the threshold
    assert AccountIndex().match(email="ana@gmail.com", company="Initechs").account_id == account.pk


def test_a_fuzzy_lookup_reads_only_the_names_that_share_a_blocking_key(django_assert_max_num_queries):
    from accord.leads.models import AccountNameKey

    unrelated = Account.objects.bulk_create(
        [Account(name=f"Zeta{i} Holdings", name_key=company_key(f"Zeta{i} Holdings")) for i in range(300)]
    )
    AccountNameKey.write_for([(a.pk, a.name_key) for a in unrelated])
    globex = make_account("Globex Pharmaceuticals")
    index = AccountIndex()
    assert len(index._candidates(company_key("Globex Pharmaceutical"))) == 1
    with django_assert_max_num_queries(3):
        found = index.match(email="ana@gmail.com", company="Globex Pharmaceutical")
    assert found.account_id == globex.pk
