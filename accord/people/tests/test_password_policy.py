"""Password policy: at least 12 characters, not a common password, not like the username."""

from __future__ import annotations

import pytest

from accord.core.errors import ApplicationError
from accord.people.services import admin_user_create


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short-pass1", "at least 12 characters"),
        ("password1234", "too common"),
        ("carmen-carmen", "too similar"),
        ("482915736201", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(db, password, problem):
    with pytest.raises(ApplicationError) as caught:
        admin_user_create(username="carmen-carmen", password=password)
    assert problem in caught.value.message


def test_a_long_uncommon_passphrase_is_accepted(db):
    assert admin_user_create(username="carmen", password="velvet-orbit-lantern").is_superuser
