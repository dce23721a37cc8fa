"""Every legal and every illegal transition of a signature, through its services (issue 4).

Each refusal asserts that nothing changed — signatures, organisations, invitations, audit
events — and that no email was queued.
"""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed, TransitionError
from letters import services
from letters.models import Invitation, Letter, LetterVersion, Signature
from organisations.models import Organisation
from outbox.models import OutboundEmail
from tests.emails import as_sent
from tests.factories import (
    EmailDomainFactory,
    MembershipFactory,
    OrganisationFactory,
    SignatureFactory,
    UserFactory,
)
from tests.letters.signing_helpers import (
    NEW_ORGANISATION,
    SIGNER_EMAIL,
    SIGNER_NAME,
    emails_of,
    in_state,
    open_mode_letter,
    sign,
    verified_organisation,
    world,
)

pytestmark = pytest.mark.django_db

S = Signature.Status
L = Letter.Status
LIVE = [S.PENDING_CONFIRMATION, S.PENDING_REVIEW, S.APPROVED]
COUNTED = [S.PENDING_REVIEW, S.APPROVED]
DEAD = [S.WITHDRAWN, S.REJECTED, S.EXPIRED]


def _events(signature: Signature) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="letters.signature", target_id=signature.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def letter(make_letter) -> Letter:
    """An open letter in open sign-on mode, reviewed signature by signature."""
    return open_mode_letter(make_letter)


@pytest.fixture
def auto_letter(make_letter) -> Letter:
    """An open letter that approves verified organisations' signers at once."""
    return open_mode_letter(make_letter, moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED)


def _member_of(organisation: Organisation, email: str = "dawa@members.example.com"):
    return MembershipFactory(organisation=organisation, user=UserFactory(email=email)).user


# --- sign: legal ---------------------------------------------------------------------------------


def test_signing_an_open_mode_letter_awaits_the_signers_confirmation(letter):
    # When someone signs for a new organisation
    signature = sign(letter, signer_title="  Executive   Director ")

    # Then the signature waits for its email confirmation, against the current version
    signature.refresh_from_db()
    version = LetterVersion.objects.get(letter=letter, is_current=True)
    assert signature.status == S.PENDING_CONFIRMATION
    assert (signature.version, signature.version_hash) == (version, version.content_hash)
    # The name is kept as typed: no organisation is looked up or created until confirmed
    assert signature.organisation is None
    assert signature.proposed_organisation_name == NEW_ORGANISATION
    assert not Organisation.objects.filter(name=NEW_ORGANISATION).exists()
    assert (signature.signer_name, signature.signer_title, signature.signer_email) == (
        SIGNER_NAME,
        "Executive Director",
        SIGNER_EMAIL,
    )
    assert (signature.authority, signature.submitted_by, signature.invitation) == (
        Signature.Authority.NONE,
        None,
        None,
    )
    assert signature.consented_at is not None
    assert signature.confirmed_at is None
    assert _events(signature) == ["signature.submitted"]
    # And exactly one email went out: the confirmation request, to the signer
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [
        ("signature_confirm", SIGNER_EMAIL)
    ]


def test_the_confirmation_email_names_the_version_and_its_sha256(letter, owner):
    services.update_letter(letter=letter, actor=owner, body="A second text.", substantive=False)
    version = LetterVersion.objects.get(letter=letter, is_current=True)

    signature = sign(letter)

    [email] = emails_of("signature_confirm")
    assert signature.version_hash == version.content_hash
    assert version.number == 2
    assert "- Version: 2\n" in email.body_text
    assert f"- SHA-256 of the text you signed: {version.content_hash}\n" in email.body_text
    assert version.content_hash in email.body_html
    assert "/letters/signatures/confirm/" in email.body_text
    assert "/letters/signatures/manage/" in email.body_text


def test_the_version_hash_is_the_sha256_of_the_text_signed(letter):
    signature = sign(letter)

    version = signature.version
    assert signature.version_hash == version.content_hash
    assert len(signature.version_hash) == 64


def test_a_new_organisation_proposed_by_a_signer_is_unverified(letter):
    signature = sign(letter, new_name="  Uyghur   Human Rights Project ", based_in="East Turkestan")
    services.confirm_signature(signature=signature)
    signature.refresh_from_db()

    organisation = signature.organisation
    assert (organisation.name, organisation.based_in, organisation.is_verified) == (
        "Uyghur Human Rights Project",
        "East Turkestan",
        False,
    )
    assert organisation.members.count() == 0
    assert (
        AuditEvent.objects.filter(action="organisation.created", organisation=organisation).count()
        == 1
    )


@pytest.mark.parametrize(
    "typed",
    ["tibet action institute", "Tibet-Action  Institute", "The Tibet Action Institute."],
)
def test_a_proposed_name_matching_an_existing_organisation_uses_it(letter, organisation, typed):
    organisations_before = Organisation.objects.count()

    signature = sign(letter, new_name=typed, based_in="Somewhere else")
    services.confirm_signature(signature=signature)
    signature.refresh_from_db()

    assert signature.organisation == organisation
    # The signer's own pages and emails show the name as they typed it
    assert signature.name_for_signer == " ".join(typed.split())
    assert Organisation.objects.count() == organisations_before
    organisation.refresh_from_db()
    assert (organisation.name, organisation.based_in) == ("Tibet Action Institute", "Hong Kong")


def test_signing_for_an_existing_organisation(letter, organisation):
    signature = sign(letter, organisation=organisation)

    assert signature.organisation == organisation
    assert signature.status == S.PENDING_CONFIRMATION


def test_a_closed_letter_still_accepts_confirmation_of_a_signature_made_while_open(letter, owner):
    signature = sign(letter)
    services.close_letter(letter=letter, actor=owner)

    services.confirm_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW


# --- sign: refused -------------------------------------------------------------------------------


def test_an_invitation_only_letter_cannot_be_signed_without_an_invitation(open_letter):
    assert open_letter.sign_on_mode == Letter.SignOnMode.INVITATION
    before = world()

    with pytest.raises(NotAllowed):
        sign(open_letter)

    assert world() == before


@pytest.mark.parametrize("status", [L.DRAFT, L.CLOSED, L.PUBLISHED])
def test_a_letter_that_is_not_open_cannot_be_signed(make_letter, status):
    letter = open_mode_letter(make_letter, status)
    before = world()

    with pytest.raises(TransitionError):
        sign(letter)

    assert world() == before


def test_a_letter_past_its_deadline_cannot_be_signed_even_before_the_closing_task_ran(letter):
    Letter.objects.filter(pk=letter.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    letter.refresh_from_db()
    assert letter.status == L.OPEN
    before = world()

    with pytest.raises(TransitionError):
        sign(letter)

    assert world() == before


def test_signing_without_consent_is_refused(letter):
    before = world()

    with pytest.raises(DomainError) as excinfo:
        sign(letter, consent=False)

    assert "privacy notice" in excinfo.value.message
    assert world() == before


def test_a_name_without_letters_or_digits_is_refused(letter):
    before = world()

    with pytest.raises(DomainError):
        sign(letter, new_name=" -- . ")

    assert world() == before


# --- invitations ---------------------------------------------------------------------------------


def _invite(
    letter, owner, *, organisation=None, name="Tibet Watch", email="info@tibetwatch.example.net"
):
    return services.invite(
        letter=letter,
        actor=owner,
        email=email,
        organisation=organisation,
        organisation_name=name if organisation is None else "",
        contact_name="Tsering",
    )


def test_an_invitation_signs_for_its_organisation_with_invitation_authority(
    open_letter, owner, organisation
):
    invitation = _invite(open_letter, owner, organisation=organisation)
    stranger = OrganisationFactory(name="Someone Else")

    # The invitee cannot choose another organisation: the invitation fixes it
    signature = sign(open_letter, organisation=stranger, invitation=invitation)

    invitation.refresh_from_db()
    assert signature.organisation == organisation
    assert (signature.authority, signature.invitation) == (
        Signature.Authority.INVITATION,
        invitation,
    )
    assert signature.status == S.PENDING_CONFIRMATION
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.responded_at is not None


def test_an_invitation_without_an_organisation_registers_the_one_it_names(open_letter, owner):
    invitation = _invite(open_letter, owner, name="Tibet Watch")

    signature = sign(open_letter, new_name="", based_in="London", invitation=invitation)
    services.confirm_signature(signature=signature)  # registered once its signer confirms
    signature.refresh_from_db()

    invitation.refresh_from_db()
    organisation = signature.organisation
    assert (organisation.name, organisation.based_in, organisation.is_verified) == (
        "Tibet Watch",
        "London",
        False,
    )
    assert invitation.organisation == organisation
    assert signature.authority == Signature.Authority.INVITATION


def test_an_invitation_without_an_organisation_uses_a_registered_one_of_that_name(
    open_letter, owner, organisation
):
    invitation = _invite(open_letter, owner, name="tibet action institute")

    signature = sign(open_letter, new_name="", invitation=invitation)
    services.confirm_signature(signature=signature)
    signature.refresh_from_db()

    assert signature.organisation == organisation
    assert Organisation.objects.count() == 1


def test_an_invitation_vouches_only_for_the_organisation_it_names(open_letter, owner):
    """An invitation sent to Tibet Watch's contact, not linked to a registered organisation,
    must not lend invitation authority to whatever other organisation the link's holder types:
    the signature is Tibet Watch's."""
    invitation = _invite(open_letter, owner, name="Tibet Watch")

    signature = sign(
        open_letter, new_name="Human Rights Watch", based_in="New York", invitation=invitation
    )
    services.confirm_signature(signature=signature)
    signature.refresh_from_db()

    assert signature.organisation.name == "Tibet Watch"
    assert signature.authority == Signature.Authority.INVITATION
    assert not Organisation.objects.filter(name="Human Rights Watch").exists()


@pytest.mark.parametrize(
    "status",
    [
        Invitation.Status.ACCEPTED,
        Invitation.Status.DECLINED,
        Invitation.Status.FAILED,
        Invitation.Status.REVOKED,
        Invitation.Status.EXPIRED,
    ],
)
def test_an_invitation_that_is_no_longer_live_cannot_sign(open_letter, owner, organisation, status):
    invitation = _invite(open_letter, owner, organisation=organisation)
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    before = world()

    with pytest.raises(NotAllowed):
        sign(open_letter, organisation=organisation, invitation=invitation)

    assert world() == before


def test_an_invitation_to_another_letter_cannot_sign_this_one(make_letter, owner, organisation):
    this_letter = make_letter(L.OPEN)
    other_letter = make_letter(L.OPEN, title="Another joint letter")
    invitation = _invite(other_letter, owner, organisation=organisation)
    before = world()

    with pytest.raises(NotAllowed):
        sign(this_letter, organisation=organisation, invitation=invitation)

    assert world() == before


def test_an_invitation_to_a_closed_letter_cannot_sign(make_letter, owner, organisation):
    letter = make_letter(L.OPEN)
    invitation = _invite(letter, owner, organisation=organisation)
    services.close_letter(letter=letter, actor=owner)
    before = world()

    with pytest.raises(TransitionError):
        sign(letter, organisation=organisation, invitation=invitation)

    assert world() == before


# --- an invitee signing with the invited address signs in one step -------------------------------

INVITED = "info@tibetwatch.example.net"


def _kinds_to(address: str) -> list[str]:
    """The kinds of the emails to `address` (the recipient is stored encrypted)."""
    return [
        email.kind
        for email in OutboundEmail.objects.exclude(kind__startswith="invitation").order_by("pk")
        if email.to.lower() == address.lower()
    ]


def test_an_invitee_signing_with_the_invited_address_is_confirmed_in_one_step(
    open_letter, owner, organisation
):
    # Given an invitation emailed to INVITED
    invitation = _invite(open_letter, owner, organisation=organisation, email=INVITED)

    # When its holder signs with that address (as typed: other case, spaces)
    signature = sign(
        open_letter,
        organisation=organisation,
        signer_email=" Info@TibetWatch.example.NET ",
        invitation=invitation,
    )

    # Then the link has proven the address: confirmed, awaiting review, no confirmation email
    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW
    assert signature.confirmed_at is not None
    assert signature.decided_at is None
    assert _events(signature) == ["signature.submitted", "signature.confirmed"]
    assert emails_of("signature_confirm") == []
    # And the receipt goes out, naming the version, its SHA-256 and the manage link
    [receipt] = emails_of("signature_receipt")
    assert receipt.to == "Info@TibetWatch.example.NET"
    text = as_sent(receipt).text
    assert signature.version_hash in text
    assert f"Version: {signature.version.number}" in text
    assert "/letters/signatures/manage/" in text
    assert "/letters/signatures/confirm/" not in text
    assert signature.version_hash in as_sent(receipt).html


def test_an_invitee_of_an_unregistered_organisation_registers_it_in_one_step(open_letter, owner):
    invitation = _invite(open_letter, owner, name="Tibet Watch", email=INVITED)

    signature = sign(
        open_letter, new_name="", based_in="London", signer_email=INVITED, invitation=invitation
    )

    signature.refresh_from_db()
    invitation.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW
    assert (signature.organisation.name, signature.organisation.based_in) == (
        "Tibet Watch",
        "London",
    )
    assert invitation.organisation == signature.organisation
    assert _kinds_to(INVITED) == ["signature_receipt"]


def test_an_invitee_is_approved_at_once_under_auto_approve_from_a_verified_domain(
    make_letter, owner
):
    letter = make_letter(L.OPEN, moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED)
    organisation = verified_organisation(domain="tibetwatch.example.net")
    invitation = _invite(letter, owner, organisation=organisation, email=INVITED)

    signature = sign(letter, organisation=organisation, signer_email=INVITED, invitation=invitation)

    signature.refresh_from_db()
    assert signature.status == S.APPROVED
    assert _kinds_to(INVITED) == ["signature_receipt", "signature_approved"]


def test_an_invitee_signing_with_another_address_still_confirms_by_email(
    open_letter, owner, organisation
):
    # Given an invitation emailed to INVITED
    invitation = _invite(open_letter, owner, organisation=organisation, email=INVITED)

    # When its holder signs with an address the link has not proven
    signature = sign(
        open_letter,
        organisation=organisation,
        signer_email="tsering@tibetwatch.example.net",
        invitation=invitation,
    )

    # Then that address confirms by email first; no receipt without the click
    signature.refresh_from_db()
    assert signature.status == S.PENDING_CONFIRMATION
    assert signature.confirmed_at is None
    assert _kinds_to("tsering@tibetwatch.example.net") == ["signature_confirm"]
    assert emails_of("signature_receipt") == []
    assert _events(signature) == ["signature.submitted"]


def test_an_invitee_whose_organisation_signed_already_is_not_told(open_letter, owner, organisation):
    """Two contacts of one organisation invited: the second to sign in one step is told what
    any signer is told (awaiting review, a receipt), as before by the confirmation page; only
    the addresses the organisation controls hear of the duplicate (issue 11)."""
    # Given the organisation signed through an earlier invitation to another contact
    first = _invite(
        open_letter, owner, organisation=organisation, email="dawa@tibetaction.example.net"
    )
    held = sign(
        open_letter,
        organisation=organisation,
        signer_email="dawa@tibetaction.example.net",
        invitation=first,
    )
    in_state(held, S.APPROVED)
    second = _invite(open_letter, owner, organisation=organisation, email=INVITED)

    # When the second contact signs through their link with their own address
    signature = sign(
        open_letter, organisation=organisation, signer_email=INVITED, invitation=second
    )

    # Then it is recorded and not counted, and the signer gets the same receipt as anyone
    signature.refresh_from_db()
    assert signature.status == S.DUPLICATE
    assert signature.status_for_signer == S.PENDING_REVIEW.label
    assert _kinds_to(INVITED) == ["signature_receipt"]
    assert [e.to for e in emails_of("signature_duplicate")] == ["dawa@tibetaction.example.net"]
    assert Signature.objects.filter(letter=open_letter, status__in=COUNTED).get() == held


# --- authority -----------------------------------------------------------------------------------


def test_authority_from_a_verified_email_domain(letter):
    organisation = verified_organisation(domain="tibetwatch.example.net")

    signature = sign(letter, organisation=organisation, signer_email="Lhamo@TibetWatch.example.net")

    assert signature.authority == Signature.Authority.VERIFIED_DOMAIN


def test_an_unverified_domain_gives_no_authority(letter):
    organisation = OrganisationFactory(name="Tibet Watch", is_verified=True)
    EmailDomainFactory(
        organisation=organisation, domain="tibetwatch.example.net", is_verified=False
    )

    signature = sign(letter, organisation=organisation, signer_email="lhamo@tibetwatch.example.net")

    assert signature.authority == Signature.Authority.NONE


def test_another_organisations_verified_domain_gives_no_authority(letter, organisation):
    verified_organisation(name="Tibet Watch", domain="tibetwatch.example.net")

    signature = sign(letter, organisation=organisation, signer_email="lhamo@tibetwatch.example.net")

    assert signature.authority == Signature.Authority.NONE


def test_authority_from_membership_of_a_verified_organisation(letter):
    organisation = OrganisationFactory(name="Tibet Watch", is_verified=True)
    member = _member_of(organisation)

    signature = sign(letter, organisation=organisation, signer_email=member.email, user=member)

    assert (signature.authority, signature.submitted_by) == (
        Signature.Authority.MEMBERSHIP,
        member,
    )


def test_membership_of_an_unverified_organisation_proves_nothing(letter, organisation):
    member = _member_of(organisation)

    signature = sign(letter, organisation=organisation, signer_email=member.email, user=member)

    assert signature.authority == Signature.Authority.NONE


def test_no_authority_for_an_anonymous_signer(letter, organisation):
    signature = sign(letter, organisation=organisation, signer_email="someone@gmail.com")

    assert signature.authority == Signature.Authority.NONE


# --- a logged-in member signs in one step --------------------------------------------------------


def test_a_logged_in_member_signs_in_one_step_without_a_confirmation_email(letter, organisation):
    member = _member_of(organisation)

    signature = sign(letter, organisation=organisation, signer_email=member.email, user=member)

    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW
    assert signature.confirmed_at is not None
    assert signature.decided_at is None
    assert OutboundEmail.objects.count() == 0
    assert _events(signature) == ["signature.submitted", "signature.confirmed"]


def test_a_logged_in_member_of_a_verified_organisation_is_approved_at_once(auto_letter):
    organisation = verified_organisation(domain="tibetwatch.example.net")
    member = _member_of(organisation, email="dawa@tibetwatch.example.net")

    signature = sign(auto_letter, organisation=organisation, signer_email=member.email, user=member)

    signature.refresh_from_db()
    assert signature.status == S.APPROVED
    assert signature.decided_at is not None
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [
        ("signature_approved", member.email)
    ]


def test_a_member_of_a_verified_organisation_is_approved_at_once_whatever_their_address(
    auto_letter,
):
    """Membership is granted by the organisation's administrators and accepted from a
    confirmed address: under the auto-approve policy it counts like a verified domain."""
    organisation = verified_organisation(domain="tibetwatch.example.net")
    member = _member_of(organisation, email="dawa@personal.example.com")

    signature = sign(auto_letter, organisation=organisation, signer_email=member.email, user=member)

    signature.refresh_from_db()
    assert (signature.authority, signature.status) == (Signature.Authority.MEMBERSHIP, S.APPROVED)
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == ["signature_approved"]


def test_a_member_of_an_unverified_organisation_waits_for_review_under_auto_approve(
    auto_letter, organisation
):
    member = _member_of(organisation, email="dawa@personal.example.com")

    signature = sign(auto_letter, organisation=organisation, signer_email=member.email, user=member)

    signature.refresh_from_db()
    assert (signature.authority, signature.status) == (Signature.Authority.NONE, S.PENDING_REVIEW)
    assert OutboundEmail.objects.count() == 0


def test_a_member_signing_with_another_address_still_confirms_by_email(letter, organisation):
    member = _member_of(organisation)

    signature = sign(
        letter, organisation=organisation, signer_email="private@example.com", user=member
    )

    signature.refresh_from_db()
    assert signature.status == S.PENDING_CONFIRMATION
    assert [e.to for e in emails_of("signature_confirm")] == ["private@example.com"]


def test_a_logged_in_non_member_confirms_by_email(letter, organisation, signer):
    signature = sign(letter, organisation=organisation, signer_email=signer.email, user=signer)

    signature.refresh_from_db()
    assert signature.status == S.PENDING_CONFIRMATION
    assert signature.submitted_by == signer
    assert len(emails_of("signature_confirm")) == 1


# --- one live signature per organisation ---------------------------------------------------------


def test_a_member_signing_for_an_organisation_that_signed_is_refused_without_naming_the_first(
    letter, organisation
):
    in_state(sign(letter, organisation=organisation, signer_email=SIGNER_EMAIL), S.APPROVED)
    member = _member_of(organisation)
    before = world()

    with pytest.raises(services.AlreadySigned) as excinfo:
        sign(letter, organisation=organisation, signer_email=member.email, user=member)

    message = str(excinfo.value)
    assert isinstance(excinfo.value, DomainError)
    assert "already signed" in message
    for secret in ("Pema", "Dolma", SIGNER_EMAIL, "tibetaction", "confirmation by"):
        assert secret not in message
    assert world() == before


@pytest.mark.parametrize("status", COUNTED)
def test_a_counted_signature_makes_a_second_confirmation_a_duplicate(letter, organisation, status):
    in_state(sign(letter, organisation=organisation), status)

    second = sign(letter, new_name="tibet-action institute", signer_email="karma@x.example")
    services.confirm_signature(signature=second)

    second.refresh_from_db()
    assert second.status == S.DUPLICATE
    assert second.organisation == organisation
    assert Signature.objects.filter(letter=letter, status__in=COUNTED).count() == 1


def test_an_unconfirmed_signature_holds_no_place(letter, organisation):
    first = sign(letter, organisation=organisation)

    second = sign(letter, new_name="tibet-action institute", signer_email="karma@x.example")
    services.confirm_signature(signature=second)
    services.confirm_signature(signature=first)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == S.PENDING_REVIEW
    assert first.status == S.DUPLICATE


def test_the_database_itself_refuses_a_second_counted_signature(letter, organisation):
    in_state(sign(letter, organisation=organisation), S.PENDING_REVIEW)

    second = SignatureFactory.build(
        letter=letter,
        organisation=organisation,
        signer_name="Karma",
        signer_email="karma@example.org",
        pending_review=True,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


@pytest.mark.parametrize("status", DEAD)
def test_after_a_signature_ends_the_organisation_can_sign_again(letter, organisation, status):
    first = in_state(sign(letter, organisation=organisation), status)

    second = sign(letter, organisation=organisation, signer_email="karma@tibetaction.example.net")

    assert second.pk != first.pk
    assert second.status == S.PENDING_CONFIRMATION
    assert (
        Signature.objects.on_letter_of(letter_id=letter.pk, organisation=organisation).count() == 2
    )


def test_after_a_withdrawal_the_organisation_can_sign_again(letter, organisation):
    first = sign(letter, organisation=organisation)
    services.withdraw_signature(signature=first)

    second = sign(letter, organisation=organisation)

    assert list(
        Signature.objects.of_organisation(organisation)
        .order_by("pk")
        .values_list("status", flat=True)
    ) == [S.WITHDRAWN, S.PENDING_CONFIRMATION]
    assert second.status == S.PENDING_CONFIRMATION


def test_the_same_organisation_may_sign_two_letters(make_letter, organisation):
    first = sign(open_mode_letter(make_letter), organisation=organisation)
    second = sign(open_mode_letter(make_letter, title="A second letter"), organisation=organisation)

    assert {first.status, second.status} == {S.PENDING_CONFIRMATION}


# --- confirm -------------------------------------------------------------------------------------


def test_confirming_moves_the_signature_to_review(letter):
    signature = sign(letter)

    services.confirm_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW
    assert signature.confirmed_at is not None
    assert signature.decided_at is None
    assert _events(signature) == ["signature.submitted", "signature.confirmed"]
    assert [e.kind for e in OutboundEmail.objects.all()] == ["signature_confirm"]


def test_confirming_under_the_auto_approve_policy_approves_a_verified_organisations_signer(
    auto_letter,
):
    organisation = verified_organisation(domain="tibetwatch.example.net")
    signature = sign(
        auto_letter, organisation=organisation, signer_email="lhamo@tibetwatch.example.net"
    )

    services.confirm_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.APPROVED
    assert signature.decided_at is not None
    assert signature.decided_by is None
    assert _events(signature) == [
        "signature.submitted",
        "signature.confirmed",
        "signature.auto_approved",
    ]
    assert [(e.kind, e.to) for e in OutboundEmail.objects.order_by("pk")] == [
        ("signature_confirm", "lhamo@tibetwatch.example.net"),
        ("signature_approved", "lhamo@tibetwatch.example.net"),
    ]
    [approved] = emails_of("signature_approved")
    assert signature.version_hash in approved.body_text


@pytest.mark.parametrize(
    ("organisation_verified", "domain_verified", "email"),
    [
        (False, True, "lhamo@tibetwatch.example.net"),  # organisation not verified
        (True, False, "lhamo@tibetwatch.example.net"),  # domain not verified
        (True, True, "lhamo@gmail.com"),  # address elsewhere
    ],
)
def test_auto_approval_needs_a_verified_organisation_and_a_verified_matching_domain(
    auto_letter, organisation_verified, domain_verified, email
):
    organisation = OrganisationFactory(name="Tibet Watch", is_verified=organisation_verified)
    EmailDomainFactory(
        organisation=organisation, domain="tibetwatch.example.net", is_verified=domain_verified
    )
    signature = sign(auto_letter, organisation=organisation, signer_email=email)

    services.confirm_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW
    assert emails_of("signature_approved") == []


def test_the_review_all_policy_never_auto_approves(letter):
    organisation = verified_organisation(domain="tibetwatch.example.net")
    signature = sign(letter, organisation=organisation, signer_email="lhamo@tibetwatch.example.net")

    services.confirm_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW


def test_confirming_twice_is_refused_and_changes_nothing(letter):
    signature = sign(letter)
    services.confirm_signature(signature=signature)
    before = world()

    with pytest.raises(TransitionError):
        services.confirm_signature(signature=signature)

    assert world() == before


@pytest.mark.parametrize("status", [S.APPROVED, *DEAD])
def test_only_a_signature_awaiting_confirmation_can_be_confirmed(letter, status):
    signature = in_state(sign(letter), status)
    before = world()

    with pytest.raises(TransitionError):
        services.confirm_signature(signature=signature)

    assert world() == before


def test_confirming_after_publication_is_refused(letter, owner):
    signature = sign(letter)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    before = world()

    with pytest.raises(TransitionError):
        services.confirm_signature(signature=signature)

    assert world() == before


# --- withdraw ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", LIVE)
def test_withdrawing_from_each_live_state(letter, status):
    signature = in_state(sign(letter), status)

    services.withdraw_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    assert signature.withdrawn_at is not None
    assert _events(signature)[-1] == "signature.withdrawn"
    assert [e.to for e in emails_of("signature_withdrawn")] == [SIGNER_EMAIL]


def test_withdrawing_while_closed_is_allowed(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)
    services.close_letter(letter=letter, actor=owner)

    services.withdraw_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN


@pytest.mark.parametrize("status", DEAD)
def test_a_signature_that_is_no_longer_live_cannot_be_withdrawn(letter, status):
    signature = in_state(sign(letter), status)
    before = world()

    with pytest.raises(TransitionError):
        services.withdraw_signature(signature=signature)

    assert world() == before


def test_withdrawing_after_publication_keeps_the_delivery_record(letter, owner):
    """An organisation endangered after publication can leave the public list; the record of
    what was delivered is not rewritten."""
    signature = in_state(sign(letter), S.APPROVED)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    delivered = letter.delivery.signatories

    services.withdraw_signature(signature=signature)

    signature.refresh_from_db()
    letter.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    assert letter.delivery.signatories == delivered
    assert [e.kind for e in emails_of("signature_withdrawn")] == ["signature_withdrawn"]


def test_a_member_of_the_organisation_withdraws_its_signature(letter, organisation):
    member = _member_of(organisation)
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)

    services.withdraw_signature(signature=signature, actor=member)

    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    event = AuditEvent.objects.get(action="signature.withdrawn", target_id=signature.pk)
    assert event.actor == member


@pytest.mark.parametrize("outsider", ["signer", "coordinator", "moderator"])
def test_someone_outside_the_organisation_cannot_withdraw_its_signature(
    request, letter, organisation, outsider
):
    actor = request.getfixturevalue(outsider)
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)
    before = world()

    with pytest.raises(NotAllowed):
        services.withdraw_signature(signature=signature, actor=actor)

    assert world() == before


# --- change visibility ---------------------------------------------------------------------------


def test_changing_the_visibility(letter):
    signature = sign(letter)

    services.narrow_visibility(
        signature=signature, visibility=Signature.Visibility.COUNTED_ONLY, show_signer_name=False
    )

    signature.refresh_from_db()
    assert (signature.visibility, signature.show_signer_name) == ("counted_only", False)
    event = AuditEvent.objects.get(action="signature.visibility_changed")
    assert event.data == {
        "letter_id": letter.pk,
        "from": "public",
        "to": "counted_only",
        "show_signer_name": False,
    }
    assert [e.kind for e in OutboundEmail.objects.order_by("pk")] == [
        "signature_confirm",
        "signature_changed",
    ]


def test_a_member_changes_the_visibility(letter, organisation):
    member = _member_of(organisation)
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)

    services.change_visibility(
        signature=signature,
        visibility=Signature.Visibility.RECIPIENT_ONLY,
        show_signer_name=False,
        actor=member,
    )

    signature.refresh_from_db()
    assert signature.visibility == Signature.Visibility.RECIPIENT_ONLY


def test_choosing_the_same_visibility_records_nothing(letter):
    signature = sign(letter)
    before = world()

    services.narrow_visibility(
        signature=signature, visibility=Signature.Visibility.PUBLIC, show_signer_name=False
    )

    assert world() == before


def test_the_visibility_is_final_once_published(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    before = world()

    with pytest.raises(TransitionError):
        services.narrow_visibility(
            signature=signature,
            visibility=Signature.Visibility.COUNTED_ONLY,
            show_signer_name=False,
        )

    assert world() == before


def test_a_non_member_cannot_change_the_visibility(letter, organisation, signer):
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)
    before = world()

    with pytest.raises(NotAllowed):
        services.change_visibility(
            signature=signature,
            visibility=Signature.Visibility.COUNTED_ONLY,
            show_signer_name=False,
            actor=signer,
        )

    assert world() == before


@pytest.mark.parametrize("value", ["secret", "", "PUBLIC", None])
def test_an_unknown_visibility_is_refused(letter, value):
    signature = sign(letter)
    before = world()

    with pytest.raises(DomainError):
        services.narrow_visibility(signature=signature, visibility=value, show_signer_name=False)

    assert world() == before


@pytest.mark.parametrize("status", DEAD)
def test_the_visibility_of_a_dead_signature_cannot_change(letter, status):
    signature = in_state(sign(letter), status)
    before = world()

    with pytest.raises(TransitionError):
        services.narrow_visibility(
            signature=signature,
            visibility=Signature.Visibility.COUNTED_ONLY,
            show_signer_name=False,
        )

    assert world() == before


# --- re-confirmation after a substantive change --------------------------------------------------


def _signatures_in_every_state(letter) -> dict[str, Signature]:
    """One signature per state, each for its own organisation, all on the current version."""
    return {
        status: in_state(
            sign(letter, new_name=f"Organisation {status}", signer_email=f"{status}@example.org"),
            status,
        )
        for status in [*LIVE, *DEAD]
    }


def test_a_substantive_change_asks_every_live_signer_to_reconfirm_once(letter, owner):
    signatures = _signatures_in_every_state(letter)
    OutboundEmail.objects.all().delete()

    version = services.update_letter(
        letter=letter, actor=owner, body="A new demand.", substantive=True, note="New demand"
    )

    reconfirms = emails_of("signature_reconfirm")
    assert sorted(e.to for e in reconfirms) == sorted(signatures[s].signer_email for s in LIVE)
    assert OutboundEmail.objects.count() == len(LIVE)  # nothing else was sent
    for email in reconfirms:
        assert f"version {version.number}" in email.body_text
        assert version.content_hash in email.body_text
        assert "/letters/signatures/reconfirm/" in email.body_text
        assert "New demand" in email.body_text


def test_a_non_substantive_change_asks_nobody(letter, owner):
    _signatures_in_every_state(letter)
    emails_before = OutboundEmail.objects.count()

    services.update_letter(letter=letter, actor=owner, body="Typo fixed.", substantive=False)

    assert OutboundEmail.objects.count() == emails_before
    assert emails_of("signature_reconfirm") == []


def test_signers_of_every_older_version_are_asked_after_a_later_substantive_change(letter, owner):
    on_v1 = in_state(sign(letter, new_name="First", signer_email="v1@example.org"), S.APPROVED)
    services.update_letter(letter=letter, actor=owner, body="Typo fixed.", substantive=False)
    on_v2 = in_state(sign(letter, new_name="Second", signer_email="v2@example.org"), S.APPROVED)
    assert (on_v1.version.number, on_v2.version.number) == (1, 2)

    version = services.update_letter(
        letter=letter, actor=owner, body="New demand.", substantive=True
    )

    assert sorted(e.dedupe_key for e in emails_of("signature_reconfirm")) == sorted(
        f"signature:{s.pk}:reconfirm:v{version.number}" for s in (on_v1, on_v2)
    )
    # Signing after the change means signing the new text: nobody asks again
    after = sign(letter, new_name="Third", signer_email="v3@example.org")
    assert after.version == version


def test_each_substantive_version_asks_again_once(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)

    services.update_letter(letter=letter, actor=owner, body="Second text.", substantive=True)
    services.update_letter(letter=letter, actor=owner, body="Third text.", substantive=True)

    assert [e.dedupe_key for e in emails_of("signature_reconfirm")] == [
        f"signature:{signature.pk}:reconfirm:v2",
        f"signature:{signature.pk}:reconfirm:v3",
    ]


def test_reconfirming_the_current_version_moves_the_signature_to_it(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)
    version = services.update_letter(letter=letter, actor=owner, body="New.", substantive=True)

    services.reconfirm_signature(signature=signature, version_number=version.number)

    signature.refresh_from_db()
    assert (signature.version, signature.version_hash) == (version, version.content_hash)
    assert signature.status == S.APPROVED
    event = AuditEvent.objects.get(action="signature.reconfirmed")
    assert event.data == {"letter_id": letter.pk, "from": 1, "to": 2}


def test_a_stale_version_number_is_refused(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)
    services.update_letter(letter=letter, actor=owner, body="Second.", substantive=True)
    services.update_letter(letter=letter, actor=owner, body="Third.", substantive=True)
    before = world()

    with pytest.raises(TransitionError):
        services.reconfirm_signature(signature=signature, version_number=2)

    assert world() == before


def test_reconfirming_twice_is_refused(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)
    version = services.update_letter(letter=letter, actor=owner, body="New.", substantive=True)
    services.reconfirm_signature(signature=signature, version_number=version.number)
    before = world()

    with pytest.raises(TransitionError):
        services.reconfirm_signature(signature=signature, version_number=version.number)

    assert world() == before


@pytest.mark.parametrize("status", DEAD)
def test_a_dead_signature_cannot_reconfirm(letter, owner, status):
    signature = in_state(sign(letter), status)
    version = services.update_letter(letter=letter, actor=owner, body="New.", substantive=True)
    before = world()

    with pytest.raises(TransitionError):
        services.reconfirm_signature(signature=signature, version_number=version.number)

    assert world() == before


def test_reconfirming_after_publication_is_refused(letter, owner):
    signature = in_state(sign(letter), S.APPROVED)
    version = services.update_letter(letter=letter, actor=owner, body="New.", substantive=True)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    before = world()

    with pytest.raises(TransitionError):
        services.reconfirm_signature(signature=signature, version_number=version.number)

    assert world() == before


# --- expiry of unconfirmed signatures ------------------------------------------------------------


def _aged(signature: Signature, days: float) -> Signature:
    Signature.objects.filter(pk=signature.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    return signature


def test_only_unconfirmed_signatures_older_than_the_confirmation_window_expire(letter):
    days = django_settings.SIGNATURE_CONFIRMATION_DAYS
    old = _aged(sign(letter, new_name="Old", signer_email="old@example.org"), days + 0.1)
    young = _aged(sign(letter, new_name="Young", signer_email="young@example.org"), days - 0.1)
    reviewed = _aged(
        in_state(sign(letter, new_name="Reviewed", signer_email="r@example.org"), S.PENDING_REVIEW),
        days + 5,
    )
    emails_before = OutboundEmail.objects.count()

    expired = services.expire_unconfirmed_signatures()

    assert expired == 1
    statuses = dict(Signature.objects.values_list("pk", "status"))
    assert statuses == {
        old.pk: S.EXPIRED,
        young.pk: S.PENDING_CONFIRMATION,
        reviewed.pk: S.PENDING_REVIEW,
    }
    assert _events(old)[-1] == "signature.expired"
    assert OutboundEmail.objects.count() == emails_before


def test_the_confirmation_window_is_a_setting(letter, settings):
    settings.SIGNATURE_CONFIRMATION_DAYS = 2
    signature = _aged(sign(letter), 2.1)

    assert services.expire_unconfirmed_signatures() == 1

    signature.refresh_from_db()
    assert signature.status == S.EXPIRED


def test_expiry_is_idempotent(letter):
    _aged(sign(letter), django_settings.SIGNATURE_CONFIRMATION_DAYS + 1)
    assert services.expire_unconfirmed_signatures() == 1
    before = world()

    assert services.expire_unconfirmed_signatures() == 0

    assert world() == before


def test_an_old_unconfirmed_signature_neither_blocks_nor_survives_expiry(letter, organisation):
    old = _aged(
        sign(letter, organisation=organisation), django_settings.SIGNATURE_CONFIRMATION_DAYS + 1
    )
    again = sign(letter, organisation=organisation)  # never blocked: it held no place

    services.expire_unconfirmed_signatures()

    old.refresh_from_db()
    assert old.status == S.EXPIRED
    assert again.status == S.PENDING_CONFIRMATION


def test_expiry_frees_an_invited_organisation_to_sign_again_through_its_invitation(
    open_letter, owner, organisation
):
    """On an invitation-only letter the personal link is the only way to sign. An invitee who
    missed the confirmation email must be able to use it again once the signature expired."""
    invitation = _invite(open_letter, owner, organisation=organisation)
    _aged(
        sign(open_letter, organisation=organisation, invitation=invitation),
        django_settings.SIGNATURE_CONFIRMATION_DAYS + 1,
    )

    services.expire_unconfirmed_signatures()
    again = sign(open_letter, organisation=organisation, invitation=invitation)

    assert again.status == S.PENDING_CONFIRMATION
    assert again.authority == Signature.Authority.INVITATION


def test_expiry_survives_a_new_invitation_to_the_same_address(open_letter, owner, organisation):
    """The invitee signed but never confirmed; the coordinator, seeing no confirmation, invited
    the same address again. Expiring the old signature must not try to revive the old link
    beside the new one (one live invitation per address) and must not stop the task."""
    first = _invite(open_letter, owner, organisation=organisation)
    stale = _aged(
        sign(open_letter, organisation=organisation, invitation=first),
        django_settings.SIGNATURE_CONFIRMATION_DAYS + 1,
    )
    second = _invite(open_letter, owner, organisation=organisation)
    assert second.status == Invitation.Status.QUEUED

    expired = services.expire_unconfirmed_signatures()

    assert expired == 1
    stale.refresh_from_db()
    second.refresh_from_db()
    assert stale.status == S.EXPIRED
    assert second.status == Invitation.Status.QUEUED
    assert (
        Invitation.objects.filter(
            letter=open_letter, email_index=first.email_index, status__in=Invitation.LIVE
        ).count()
        == 1
    )
    again = sign(open_letter, organisation=organisation, invitation=second)
    assert again.authority == Signature.Authority.INVITATION


def test_after_withdrawing_an_invited_organisation_can_sign_again_through_its_invitation(
    open_letter, owner, organisation
):
    """The withdrawal page and email promise "It can sign again while the letter is open". On an
    invitation-only letter the invitation link is the only way to sign."""
    invitation = _invite(open_letter, owner, organisation=organisation)
    first = sign(open_letter, organisation=organisation, invitation=invitation)
    services.withdraw_signature(signature=first)

    again = sign(open_letter, organisation=organisation, invitation=invitation)

    assert again.status == S.PENDING_CONFIRMATION
    assert again.authority == Signature.Authority.INVITATION


def test_withdrawing_survives_a_new_invitation_to_the_same_address(
    open_letter, owner, organisation
):
    """A newer invitation to the same address is live: withdrawing the signature made through
    the older one must not try to revive it beside the newer (one live invitation per address)."""
    first = _invite(open_letter, owner, organisation=organisation)
    signature = sign(open_letter, organisation=organisation, invitation=first)
    second = _invite(open_letter, owner, organisation=organisation)

    services.withdraw_signature(signature=signature)

    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    assert (
        Invitation.objects.filter(
            letter=open_letter, email_index=first.email_index, status__in=Invitation.LIVE
        ).count()
        == 1
    )
    again = sign(open_letter, organisation=organisation, invitation=second)
    assert again.authority == Signature.Authority.INVITATION
