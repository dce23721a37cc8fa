import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import COORDINATORS, MODERATORS, sync_role_groups
from letters.models import Letter, LetterVersion, Signature, content_hash
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


class LetterVersionFactory(factory.django.DjangoModelFactory):
    """The first, current version of `letter` (pass it): its hash computed as the model's."""

    class Meta:
        model = LetterVersion

    number = 1
    title = factory.SelfAttribute("letter.title")
    body = "We, the undersigned organisations, urge you to raise human rights."
    content_hash = factory.LazyAttribute(lambda o: content_hash(o.title, o.body))
    is_current = True


class LetterFactory(factory.django.DjangoModelFactory):
    """An open letter any organisation may sign, with its current version, written directly.
    Letters whose way to a state matters are made through the services
    (tests/letters/conftest.py `make_letter`)."""

    class Meta:
        model = Letter
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Joint Letter {n}")
    slug = factory.Sequence(lambda n: f"joint-letter-{n}")
    recipient = "The Secretary of State"
    status = Letter.Status.OPEN
    sign_on_mode = Letter.SignOnMode.OPEN
    opened_at = factory.LazyFunction(timezone.now)
    version = factory.RelatedFactory(LetterVersionFactory, factory_related_name="letter")


_Status = Signature.Status


class SignatureFactory(factory.django.DjangoModelFactory):
    """A signature written directly, on its letter's current version (the hash its signer
    read), in the state a trait names, with the timestamps the services set on the way there:

        SignatureFactory(letter=letter, approved=True)
        SignatureFactory(letter=letter, **{status: True})  # a trait per Signature.Status value

    Without a trait it is pending confirmation, as `services.sign_letter` leaves it. The way
    there is not what a test using it is about; tests of the transitions use the services."""

    class Meta:
        model = Signature

    class Params:
        signed_at = factory.LazyFunction(timezone.now)
        pending_confirmation = factory.Trait(status=_Status.PENDING_CONFIRMATION)
        pending_review = factory.Trait(
            status=_Status.PENDING_REVIEW, confirmed_at=factory.SelfAttribute("signed_at")
        )
        approved = factory.Trait(
            status=_Status.APPROVED,
            confirmed_at=factory.SelfAttribute("signed_at"),
            decided_at=factory.SelfAttribute("signed_at"),
        )
        rejected = factory.Trait(
            status=_Status.REJECTED,
            confirmed_at=factory.SelfAttribute("signed_at"),
            decided_at=factory.SelfAttribute("signed_at"),
            rejection_reason=Signature.RejectionReason.CANNOT_VERIFY_AUTHORITY,
        )
        # Withdrawn after its approval: the organisation leaves the list.
        withdrawn = factory.Trait(
            status=_Status.WITHDRAWN,
            confirmed_at=factory.SelfAttribute("signed_at"),
            decided_at=factory.SelfAttribute("signed_at"),
            withdrawn_at=factory.LazyFunction(timezone.now),
        )
        # Never confirmed (services.expire_unconfirmed_signatures).
        expired = factory.Trait(status=_Status.EXPIRED)
        duplicate = factory.Trait(
            status=_Status.DUPLICATE, confirmed_at=factory.SelfAttribute("signed_at")
        )

    letter = factory.SubFactory(LetterFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    version = factory.LazyAttribute(lambda o: o.letter.versions.get(is_current=True))
    version_hash = factory.SelfAttribute("version.content_hash")
    signer_name = factory.Sequence(lambda n: f"Signer {n}")
    signer_email = factory.Sequence(lambda n: f"signer{n}@ngo{n}.example.net")
    consented_at = factory.SelfAttribute("signed_at")
    status = _Status.PENDING_CONFIRMATION


__all__ = ["Authenticator"]
