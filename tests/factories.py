import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import COORDINATORS, MODERATORS, sync_role_groups
from organisations.models import EmailDomain, Membership, Organisation

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def enrol_totp(user: User) -> str:
    """Give the user an authenticator app; returns the TOTP secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _role_group(name: str) -> Group:
    # A transactional test empties every table, migrations' groups included: recreate them.
    if not Group.objects.filter(name=name).exists():
        sync_role_groups()
    return Group.objects.get(name=name)


def make_coordinator(**kwargs) -> User:
    user = UserFactory(**kwargs)
    user.groups.add(_role_group(COORDINATORS))
    enrol_totp(user)
    return user


def make_moderator(**kwargs) -> User:
    user = UserFactory(**kwargs)
    user.groups.add(_role_group(MODERATORS))
    enrol_totp(user)
    return user


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Rights Organisation {n}")
    slug = factory.Sequence(lambda n: f"rights-organisation-{n}")
    based_in = "Hong Kong"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class EmailDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailDomain

    organisation = factory.SubFactory(OrganisationFactory)
    domain = factory.Sequence(lambda n: f"org{n}.example.net")


__all__ = ["Authenticator"]
