"""The moderation tests' world: people in every role, open letters, signatures awaiting review.

Roles for the admin: `anonymous`; `signer` (a member of an organisation); `coordinator` (in the
Coordinators group, not staff); `staff_without_group` (is_staff, every letters permission given
one by one, not a moderator); `moderator` (is_staff, in the Moderators group); `superuser`.
Every staff account has 2FA, as the middleware requires.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from audit.models import AuditEvent
from letters import services
from letters.models import Letter, LetterCoordinator, Signature
from organisations.models import Organisation
from outbox.models import OutboundEmail
from tests.factories import (
    OrganisationFactory,
    SignatureFactory,
    UserFactory,
    enrol_totp,
    make_coordinator,
    make_moderator,
)

ADMIN_ROLES = [
    "anonymous",
    "signer",
    "coordinator",
    "staff_without_group",
    "moderator",
    "superuser",
]


@pytest.fixture
def moderator(db):
    """A moderator as the admin needs one: staff, in the Moderators group, with 2FA."""
    return make_moderator(
        email="moderator@undersigned.example.org", name="Mo Derator", is_staff=True
    )


@pytest.fixture
def second_moderator(db):
    return make_moderator(email="second@undersigned.example.org", name="Sam Second", is_staff=True)


@pytest.fixture
def staff_without_group(db):
    """Staff (may log in to the admin), in no role group, with no permission."""
    user = UserFactory(email="staff@undersigned.example.org", is_staff=True)
    enrol_totp(user)
    return user


@pytest.fixture
def staff_with_permissions(db):
    """Staff given every view and change permission of letters, organisations and audit one by
    one, but not a moderator: the admin shows them the pages, the services refuse them."""
    user = UserFactory(email="perms@undersigned.example.org", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["letters", "organisations", "audit"],
            codename__regex=r"^(view|change)_",
        )
    )
    enrol_totp(user)
    return user


@pytest.fixture
def owner(coordinator):
    return coordinator


def make_open_letter(owner, title: str = "Raise human rights in Beijing", **kwargs) -> Letter:
    kwargs.setdefault("sign_on_mode", Letter.SignOnMode.OPEN)
    kwargs.setdefault("deadline", timezone.now() + dt.timedelta(days=14))
    letter = services.create_letter(
        author=owner,
        title=title,
        body="We, the undersigned organisations, urge you to raise human rights.",
        recipient="The Secretary of State",
        **kwargs,
    )
    return services.open_letter(letter=letter, actor=owner)


@pytest.fixture
def letter(owner) -> Letter:
    """An open letter, open to any organisation, every signature reviewed by a moderator."""
    return make_open_letter(owner)


@pytest.fixture
def other_letter(db) -> Letter:
    """Another coordinator's open letter."""
    return make_open_letter(
        make_coordinator(email="elsewhere@lead.example.org"), title="Free the Hong Kong 47"
    )


def sign_and_confirm(
    letter: Letter,
    *,
    organisation: Organisation | None = None,
    name: str = "",
    email: str = "pema@tibetaction.example.net",
    signer: str = "Pema Dolma",
) -> Signature:
    """A signature awaiting review, made through the services as on the site."""
    choice = (
        services.OrganisationChoice(organisation=organisation)
        if organisation is not None
        else services.OrganisationChoice(new_name=name, based_in="Dharamsala")
    )
    signature = services.sign_letter(
        letter=letter,
        organisation=choice,
        signer_name=signer,
        signer_email=email,
        consent=True,
    )
    return services.confirm_signature(signature=signature)


@pytest.fixture
def pending(letter) -> Signature:
    """One signature awaiting review, of a new organisation."""
    return sign_and_confirm(letter, name="Tibet Watch", email="info@tibetwatch.example.net")


def bulk_pending(letter: Letter, count: int, *, prefix: str = "Bulk Organisation") -> list[int]:
    """`count` signatures awaiting review, inserted directly: how they got there is not what the
    tests using them are about (bulk decisions, query counts)."""
    now = timezone.now()
    version = letter.versions.get(is_current=True)
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"{prefix} {i:04d}",
                normalised_name=f"{prefix.lower().replace(' ', '')}{i:04d}",
                slug=f"{prefix.lower().replace(' ', '-')}-{i:04d}",
            )
            for i in range(count)
        ]
    )
    signatures = Signature.objects.bulk_create(
        [
            SignatureFactory.build(
                letter=letter,
                organisation=organisation,
                version=version,
                signer_name=f"Signer {i}",
                signer_email=f"signer{i}@org{i}.example.net",
                pending_review=True,
                signed_at=now,
                confirmed_at=now - dt.timedelta(minutes=count - i),
            )
            for i, organisation in enumerate(organisations)
        ]
    )
    return [s.pk for s in signatures]


def statuses(*signatures: Signature) -> list[str]:
    return [Signature.objects.get(pk=s.pk).status for s in signatures]


def actions_recorded() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def emails_of(kind: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=kind).order_by("pk"))


def login(client, request, role: str):
    if role == "anonymous":
        return None
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user


def coordinator_of(letter: Letter):
    return LetterCoordinator.objects.filter(letter=letter).select_related("user").first().user


__all__ = ["OrganisationFactory"]
