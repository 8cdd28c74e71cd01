"""`accord source create NAME` prints only the key; `accord source list` prints name, kind, key."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accord.leads.models import Source


def test_create_prints_only_the_new_public_key(db):
    out = StringIO()
    call_command("source", "create", "Webinar signups", "--kind", "api", stdout=out)
    source = Source.objects.get(name="Webinar signups")
    assert out.getvalue().strip() == source.public_key
    assert source.kind == "api"


def test_create_defaults_to_a_form_and_refuses_a_taken_name(db):
    call_command("source", "create", "Website", stdout=StringIO())
    assert Source.objects.get(name="Website").kind == "form"
    with pytest.raises(CommandError, match="already exists"):
        call_command("source", "create", "website", stdout=StringIO())


def test_list_prints_name_kind_and_key(db):
    a = Source.objects.create(name="Alpha", kind="import")
    b = Source.objects.create(name="Beta", kind="form")
    out = StringIO()
    call_command("source", "list", stdout=out)
    assert out.getvalue().splitlines() == [f"Alpha\timport\t{a.public_key}", f"Beta\tform\t{b.public_key}"]
