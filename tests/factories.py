"""factory_boy factories for the identity models."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from identity.demo import compute_demo_lei
from identity.models import ClientAccount, Organisation, RoleAssignment, User
from identity.roles import OrganisationKind

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    legal_name = factory.Sequence(lambda n: f"Test Organisation {n} Ltd")
    lei = factory.Sequence(lambda n: compute_demo_lei(f"TEST{n:08d}"))
    country = "GB"
    kind = OrganisationKind.BROKER


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(obj: User, create: bool, extracted: list[str] | None, **kwargs: object) -> None:  # noqa: N805
        for role in extracted or []:
            RoleAssignment.objects.create(user=obj, role=role)


class ClientAccountFactory(DjangoModelFactory[ClientAccount]):
    class Meta:
        model = ClientAccount

    broker = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.BROKER)
    account_reference = factory.Sequence(lambda n: f"ACC-{n:06d}")
    name = factory.Sequence(lambda n: f"Client {n}")
    holder_type = ClientAccount.HolderType.NATURAL_PERSON
