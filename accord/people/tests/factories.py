"""Factories for users and teams."""

from __future__ import annotations

import factory

from accord.people.models import Role, Team, User, UserRole


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    segment = "General"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for role in extracted:
                UserRole.objects.get_or_create(user=self, role=role)
        if create:
            self.save()


def user_with_roles(
    username: str, *roles: str, team: Team | None = None, manager: User | None = None
) -> User:
    # As in user_create: an admin is also a Django superuser, so the admin site opens for them.
    admin = Role.ADMIN in roles
    return UserFactory(
        username=username, roles=list(roles), team=team, manager=manager, is_staff=admin, is_superuser=admin
    )


__all__ = ["Role", "TeamFactory", "UserFactory", "user_with_roles"]
