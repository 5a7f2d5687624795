"""Factories shared by every test: an authority with a team in every role and sandbox channels."""

import factory
from django.contrib.auth import get_user_model

from parvis.channels.crypto import encrypt
from parvis.channels.models import Channel
from parvis.domain.roles import Role
from parvis.organisations.models import Authority, Membership
from parvis.publishing.models import ApprovalRule

PASSWORD = "mot-de-passe-de-test"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority

    slug = factory.Sequence(lambda n: f"commune-{n}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    kind = Authority.Kind.COMMUNE
    insee_code = factory.Sequence(lambda n: f"{62000 + n}")
    population = 12000
    timezone = "Europe/Paris"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    authority = factory.SubFactory(AuthorityFactory)
    role = Role.COMMUNITY_MANAGER


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    authority = factory.SubFactory(AuthorityFactory)
    network = "mastodon"
    handle = factory.Sequence(lambda n: f"compte{n}")
    is_sandbox = True
    credentials = factory.LazyFunction(lambda: encrypt({"token": "sandbox-token"}))
    slots = factory.LazyFunction(lambda: [{"weekday": d, "time": "09:30"} for d in range(7)])


def team(authority: Authority | None = None, *, prefix: str = "") -> dict[Role, Membership]:
    """One member per role in one authority (created when not given)."""
    authority = authority or AuthorityFactory()
    prefix = prefix or authority.slug
    return {
        role: MembershipFactory(user=UserFactory(username=f"{prefix}-{role.value}"), authority=authority, role=role)
        for role in Role
    }


def one_level_rule(authority: Authority, roles=(Role.DIRECTOR, Role.REVIEWER)) -> ApprovalRule:
    return ApprovalRule.objects.create(authority=authority, channel=None,
                                       levels=[{"roles": [r.value for r in roles], "users": []}])
