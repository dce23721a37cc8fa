"""Issue 11, item 9: an unconfirmed submission does not take an organisation's one signature.

Anyone can type an organisation's name and their own address into the sign form. Until they
confirm by email they hold nothing: the organisation's member, invitee or staff at a verified
domain sign as if they had not come; a squatter who confirms after the real signature is not
counted. A name nobody has registered becomes an organisation only when someone confirms."""

import pytest

from letters import services
from letters.models import Letter, Signature
from organisations.models import Organisation
from tests.factories import LetterFactory, MembershipFactory, UserFactory
from tests.letters.signing_helpers import sign, verified_organisation

SQUATTER = "squatter@probe.example.net"
COUNTED = ["pending_review", "approved"]


@pytest.fixture
def letter(db) -> Letter:
    return LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)


@pytest.fixture
def watch(db) -> Organisation:
    return verified_organisation()  # Tibet Watch, tibetwatch.example.net verified


def squat(letter: Letter, name: str = "Tibet Watch") -> Signature:
    return sign(letter, new_name=name, signer_email=SQUATTER, signer_name="Not Them")


@pytest.mark.django_db
def test_an_unconfirmed_submission_does_not_refuse_the_organisations_member(letter, watch):
    squat(letter)
    member = MembershipFactory(
        organisation=watch, user=UserFactory(email="staff@tibetwatch.example.net")
    )

    signature = sign(letter, organisation=watch, signer_email=member.user.email, user=member.user)

    assert signature.status in COUNTED


@pytest.mark.django_db
def test_staff_at_a_verified_domain_sign_and_the_squatter_is_not_counted(letter, watch):
    squatter = squat(letter)

    genuine = sign(letter, new_name="Tibet Watch", signer_email="director@tibetwatch.example.net")
    services.confirm_signature(signature=genuine)
    services.confirm_signature(signature=squatter)

    genuine.refresh_from_db()
    squatter.refresh_from_db()
    assert genuine.status in COUNTED
    assert genuine.organisation == watch
    assert squatter.status == Signature.Status.DUPLICATE
    assert Signature.objects.filter(letter=letter, status__in=COUNTED).count() == 1


@pytest.mark.django_db
def test_a_confirmed_squatter_awaiting_review_gives_way_to_a_stronger_claim(letter, watch):
    squatter = squat(letter)
    services.confirm_signature(signature=squatter)  # their own address: confirmed, no authority
    squatter.refresh_from_db()
    assert squatter.status == Signature.Status.PENDING_REVIEW

    genuine = sign(letter, new_name="Tibet Watch", signer_email="director@tibetwatch.example.net")
    services.confirm_signature(signature=genuine)

    genuine.refresh_from_db()
    squatter.refresh_from_db()
    assert genuine.status in COUNTED
    assert squatter.status == Signature.Status.DUPLICATE


@pytest.mark.django_db
def test_probing_an_unknown_name_creates_no_organisation(letter):
    before = Organisation.objects.count()

    squat(letter, name="Made Up Front Group")

    assert Organisation.objects.count() == before
    assert not Organisation.objects.filter(name="Made Up Front Group").exists()


@pytest.mark.django_db
def test_the_proposed_organisation_is_created_when_the_signer_confirms(letter):
    signature = squat(letter, name="Hong Kong Democracy Council")

    services.confirm_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.organisation.name == "Hong Kong Democracy Council"
    assert Organisation.objects.filter(name="Hong Kong Democracy Council").count() == 1


@pytest.mark.django_db
def test_an_expired_submission_leaves_no_organisation(letter):
    import datetime as dt

    from django.utils import timezone

    squat(letter, name="Never Confirmed Group")

    services.expire_unconfirmed_signatures(now=timezone.now() + dt.timedelta(days=30))

    assert not Organisation.objects.filter(name="Never Confirmed Group").exists()


# --- The duplicate state: each legal and illegal transition -------------------------------------


@pytest.fixture
def duplicate(letter, watch) -> Signature:
    genuine = sign(letter, new_name="Tibet Watch", signer_email="director@tibetwatch.example.net")
    services.confirm_signature(signature=genuine)
    squatter = squat(letter)
    services.confirm_signature(signature=squatter)
    squatter.refresh_from_db()
    assert squatter.status == Signature.Status.DUPLICATE
    return squatter


@pytest.mark.django_db
def test_a_duplicate_cannot_be_confirmed_again(duplicate):
    from core.errors import TransitionError

    with pytest.raises(TransitionError):
        services.confirm_signature(signature=duplicate)


@pytest.mark.django_db
def test_a_duplicate_is_withdrawn_by_its_link_like_any_signature(duplicate):
    services.withdraw_signature(signature=duplicate)

    duplicate.refresh_from_db()
    assert duplicate.status == Signature.Status.WITHDRAWN


@pytest.mark.django_db
def test_a_member_cannot_withdraw_a_duplicate_it_is_not_counted(duplicate, watch):
    from core.errors import TransitionError

    member = MembershipFactory(organisation=watch).user

    with pytest.raises(TransitionError):
        services.withdraw_signature(signature=duplicate, actor=member)


@pytest.mark.django_db
def test_a_superseded_signer_with_authority_is_not_replaced(letter, watch):
    first = sign(letter, new_name="Tibet Watch", signer_email="a@tibetwatch.example.net")
    services.confirm_signature(signature=first)
    second = sign(letter, new_name="Tibet Watch", signer_email="b@tibetwatch.example.net")
    services.confirm_signature(signature=second)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status in COUNTED
    assert second.status == Signature.Status.DUPLICATE


@pytest.mark.django_db
def test_an_approved_signature_without_authority_is_not_replaced(letter, watch):
    squatter = squat(letter)
    services.confirm_signature(signature=squatter)
    Signature.objects.filter(pk=squatter.pk).update(status=Signature.Status.APPROVED)

    genuine = sign(letter, new_name="Tibet Watch", signer_email="director@tibetwatch.example.net")
    services.confirm_signature(signature=genuine)

    genuine.refresh_from_db()
    assert genuine.status == Signature.Status.DUPLICATE  # a moderator's decision stands
