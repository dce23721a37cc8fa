"""The signing pages: the public sign form, the one-step form of a logged-in member, the
invitation link, abuse protection (honeypot, rate limits), withdrawing, and the lists of
signatures."""

import re
import types

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core import ratelimit
from letters import services
from letters.models import Invitation, Letter, LetterVersion, Signature
from organisations.models import Organisation
from outbox.models import OutboundEmail
from tests.emails import as_sent
from tests.factories import MembershipFactory, UserFactory
from tests.letters.signing_helpers import (
    NEW_ORGANISATION,
    SIGNER_EMAIL,
    SIGNER_NAME,
    emails_of,
    in_state,
    link_in,
    open_mode_letter,
    sign,
    sign_form_data,
    text_of,
    verified_organisation,
    world,
)

pytestmark = pytest.mark.django_db

S = Signature.Status


@pytest.fixture
def letter(make_letter) -> Letter:
    return open_mode_letter(make_letter)


@pytest.fixture
def member(organisation):
    """A member of the organisation that signs below."""
    user = UserFactory(email="dawa@tibetaction.example.net", name="Dawa Tsering")
    MembershipFactory(organisation=organisation, user=user)
    return user


def _sign_url(letter: Letter) -> str:
    return reverse("letters:sign", args=[letter.slug])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the public sign form ------------------------------------------------------------------------


def test_the_sign_page_shows_the_exact_text_version_and_fingerprint(client, letter):
    version = LetterVersion.objects.get(letter=letter, is_current=True)

    response = client.get(_sign_url(letter))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Version {version.number} of" in page
    assert version.content_hash in page
    assert "Raise human rights" in page
    assert 'name="organisation_name"' in page
    assert 'name="signer_email"' in page


def test_signing_through_the_form_sends_the_signer_to_check_their_email(client, letter):
    response = client.post(_sign_url(letter), sign_form_data(signer_title="Director"))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:sign-sent", args=[letter.slug])
    signature = Signature.objects.get()
    assert (signature.proposed_organisation_name, signature.proposed_based_in) == (
        NEW_ORGANISATION,
        "Dharamsala",
    )
    assert signature.organisation is None  # registered only once confirmed
    assert (signature.signer_name, signature.signer_title, signature.signer_email) == (
        SIGNER_NAME,
        "Director",
        SIGNER_EMAIL,
    )
    assert (signature.status, signature.visibility, signature.show_signer_name) == (
        S.PENDING_CONFIRMATION,
        "public",
        False,
    )
    assert signature.submitted_by is None
    assert [(e.kind, e.to) for e in OutboundEmail.objects.all()] == [
        ("signature_confirm", SIGNER_EMAIL)
    ]
    sent = client.get(response["Location"])
    assert "Check your email to confirm" in text_of(sent)


def test_the_chosen_visibility_and_name_display_are_recorded(client, letter):
    client.post(
        _sign_url(letter),
        sign_form_data(visibility="counted_only", show_signer_name="on"),
    )

    signature = Signature.objects.get()
    assert (signature.visibility, signature.show_signer_name) == ("counted_only", True)


def test_a_second_signature_is_answered_like_a_first(client, letter):
    """The page and the email must not tell whoever types an organisation's name whether it
    signed (it may be counted only, or under embargo): a second submission gets the same
    confirmation request as a first (tests/security/test_sign_oracle.py compares all)."""
    client.post(_sign_url(letter), sign_form_data())

    response = client.post(
        _sign_url(letter),
        sign_form_data(
            organisation_name="tibetan womens association",
            signer_name="Karma",
            signer_email="karma@elsewhere.example.org",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:sign-sent", args=[letter.slug])
    notice = OutboundEmail.objects.order_by("-pk").first()
    assert (notice.kind, notice.to) == ("signature_confirm", "karma@elsewhere.example.org")
    assert SIGNER_NAME not in notice.body_text
    assert SIGNER_EMAIL not in notice.body_text


def test_a_proposed_organisation_that_exists_is_not_duplicated(client, letter, organisation):
    client.post(_sign_url(letter), sign_form_data(organisation_name="tibet action INSTITUTE"))
    services.confirm_signature(signature=Signature.objects.get())

    assert Organisation.objects.count() == 1
    assert Signature.objects.get().organisation == organisation


def test_the_form_suggests_only_verified_organisations(client, letter, organisation):
    verified_organisation(name="Tibet Watch", domain="tibetwatch.example.net")

    response = client.get(_sign_url(letter))

    assert response.context["verified_names"] == ["Tibet Watch"]
    assert '<option value="Tibet Watch">' in response.content.decode()
    assert organisation.name not in response.content.decode()


@pytest.mark.parametrize("status", [Letter.Status.CLOSED, Letter.Status.PUBLISHED])
def test_a_letter_that_is_not_open_shows_no_form_and_a_post_creates_nothing(
    client, make_letter, status
):
    letter = open_mode_letter(make_letter, status)
    before = world()

    page = client.get(_sign_url(letter))
    response = client.post(_sign_url(letter), sign_form_data())

    assert "This letter is not collecting signatures." in text_of(page)
    assert 'name="signer_email"' not in page.content.decode()
    assert response.status_code == 200
    assert world() == before


def test_an_invitation_only_letter_has_no_public_form_and_a_post_creates_nothing(
    client, open_letter
):
    before = world()

    page = client.get(_sign_url(open_letter))
    response = client.post(_sign_url(open_letter), sign_form_data())

    assert page.status_code == 200
    assert "Signing is by invitation" in text_of(page)
    assert '<form method="post" novalidate' not in page.content.decode()
    assert response.status_code == 200
    assert "Signing is by invitation" in text_of(response)
    assert world() == before


def test_a_draft_letters_sign_page_is_not_found(client, make_letter):
    letter = open_mode_letter(make_letter, Letter.Status.DRAFT)
    before = world()

    assert client.get(_sign_url(letter)).status_code == 404
    assert client.post(_sign_url(letter), sign_form_data()).status_code == 404
    assert client.get(reverse("letters:sign-sent", args=[letter.slug])).status_code == 404
    assert world() == before


def test_a_missing_letter_is_not_found(client):
    assert client.get(reverse("letters:sign", args=["no-such-letter"])).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_sign_page_takes_only_get_and_post(client, letter, method):
    assert getattr(client, method)(_sign_url(letter)).status_code == 405


# --- abuse protection ----------------------------------------------------------------------------


def test_a_filled_honeypot_looks_like_success_and_saves_nothing(client, letter):
    before = world()

    response = client.post(_sign_url(letter), sign_form_data(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:sign-sent", args=[letter.slug])
    assert world() == before


def test_a_filled_honeypot_saves_nothing_even_with_otherwise_bad_data(client, letter):
    before = world()

    response = client.post(
        _sign_url(letter), sign_form_data(website="x", signer_email="bad", consent=None)
    )

    assert response.status_code == 302
    assert world() == before


@pytest.fixture
def frozen_window(monkeypatch):
    """Rate-limit windows are fixed (per hour, per minute): freeze the limiter's clock so that
    a window cannot end in the middle of a test."""
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))


def test_too_many_submissions_from_one_client_are_refused_with_429(
    client, letter, settings, frozen_window
):
    settings.SIGN_RATE_PER_CLIENT = 2
    for n in range(2):
        ok = client.post(
            _sign_url(letter),
            sign_form_data(organisation_name=f"Organisation {n}", signer_email=f"p{n}@example.org"),
        )
        assert ok.status_code == 302
    before = world()

    response = client.post(_sign_url(letter), sign_form_data(organisation_name="Organisation 3"))

    assert response.status_code == 429
    assert "Too many attempts from your connection" in text_of(response)
    assert 'name="organisation_name"' in response.content.decode()  # the form, as typed
    assert "Organisation 3" in text_of(response)
    assert world() == before


def test_the_client_limit_counts_per_client(client, letter, settings, frozen_window):
    settings.SIGN_RATE_PER_CLIENT = 1
    first = client.post(_sign_url(letter), sign_form_data(), REMOTE_ADDR="192.0.2.1")
    assert first.status_code == 302
    refused = client.post(
        _sign_url(letter),
        sign_form_data(organisation_name="Another", signer_email="a@example.org"),
        REMOTE_ADDR="192.0.2.1",
    )
    assert refused.status_code == 429

    other_client = client.post(
        _sign_url(letter),
        sign_form_data(organisation_name="Another", signer_email="a@example.org"),
        REMOTE_ADDR="192.0.2.2",
    )

    assert other_client.status_code == 302
    assert Signature.objects.count() == 2


def test_honeypot_and_invalid_submissions_count_towards_the_client_limit(
    client, letter, settings, frozen_window
):
    settings.SIGN_RATE_PER_CLIENT = 2
    client.post(_sign_url(letter), sign_form_data(website="spam"))
    client.post(_sign_url(letter), sign_form_data(signer_email="bad"))
    before = world()

    response = client.post(_sign_url(letter), sign_form_data())

    assert response.status_code == 429
    assert world() == before


def test_too_many_submissions_to_one_letter_are_refused_with_429(
    client, letter, settings, frozen_window
):
    settings.SIGN_RATE_PER_LETTER = 2
    for n in range(2):
        ok = client.post(
            _sign_url(letter),
            sign_form_data(organisation_name=f"Organisation {n}", signer_email=f"p{n}@example.org"),
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
        assert ok.status_code == 302
    before = world()

    response = client.post(
        _sign_url(letter),
        sign_form_data(organisation_name="Organisation 3"),
        REMOTE_ADDR="198.51.100.99",
    )

    assert response.status_code == 429
    assert "Too many attempts" in text_of(response)
    assert world() == before


def test_one_client_already_refused_cannot_use_up_the_letters_limit(
    client, letter, settings, frozen_window
):
    """Attempts refused by the per-client limit must not count towards the per-letter one,
    or a single script could lock everyone out of signing a letter."""
    settings.SIGN_RATE_PER_CLIENT = 1
    settings.SIGN_RATE_PER_LETTER = 3
    statuses = [
        client.post(
            _sign_url(letter),
            sign_form_data(organisation_name=f"Flood {n}", signer_email=f"f{n}@example.org"),
            REMOTE_ADDR="203.0.113.66",
        ).status_code
        for n in range(6)
    ]
    assert statuses == [302, 429, 429, 429, 429, 429]

    response = client.post(
        _sign_url(letter),
        sign_form_data(organisation_name="A real signer", signer_email="real@example.org"),
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 302
    assert Signature.objects.count() == 2


def test_the_letter_limit_does_not_block_other_letters(
    client, make_letter, settings, frozen_window
):
    settings.SIGN_RATE_PER_LETTER = 1
    busy = open_mode_letter(make_letter)
    quiet = open_mode_letter(make_letter, title="A quiet letter")
    client.post(_sign_url(busy), sign_form_data(), REMOTE_ADDR="198.51.100.1")
    assert (
        client.post(_sign_url(busy), sign_form_data(), REMOTE_ADDR="198.51.100.2").status_code
        == 429
    )

    response = client.post(_sign_url(quiet), sign_form_data(), REMOTE_ADDR="198.51.100.3")

    assert response.status_code == 302
    assert Signature.objects.filter(letter=quiet).count() == 1


def test_reading_the_sign_page_does_not_count(client, letter, settings, frozen_window):
    settings.SIGN_RATE_PER_CLIENT = 1
    for _ in range(5):
        client.get(_sign_url(letter))

    response = client.post(_sign_url(letter), sign_form_data())

    assert response.status_code == 302


# --- a logged-in member --------------------------------------------------------------------------


def test_a_member_sees_the_one_step_form_for_their_organisations(client, letter, member):
    client.force_login(member)

    response = client.get(_sign_url(letter))

    assert response.context["member_form"] is True
    assert 'name="organisation_name"' not in response.content.decode()
    assert "your signature needs no email confirmation" in text_of(response)
    assert list(response.context["form"].fields["organisation"].queryset) == list(
        member.organisations.all()
    )


def test_a_member_signs_in_one_step(client, letter, member, organisation):
    client.force_login(member)

    response = client.post(
        _sign_url(letter),
        {
            "form": "member",
            "organisation": organisation.pk,
            "signer_name": "Dawa Tsering",
            "visibility": "recipient_only",
            "consent": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:my-signatures")
    signature = Signature.objects.get()
    assert (signature.organisation, signature.status, signature.signer_email) == (
        organisation,
        S.PENDING_REVIEW,
        member.email,
    )
    assert signature.submitted_by == member
    assert signature.visibility == "recipient_only"
    assert OutboundEmail.objects.count() == 0
    assert "A moderator will review the signature" in _messages(response)[0]


def test_a_member_of_a_verified_organisation_is_approved_in_one_step(client, make_letter):
    letter = open_mode_letter(make_letter, moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED)
    organisation = verified_organisation(domain="tibetwatch.example.net")
    user = UserFactory(email="lhamo@tibetwatch.example.net")
    MembershipFactory(organisation=organisation, user=user)
    client.force_login(user)

    response = client.post(
        _sign_url(letter),
        {
            "form": "member",
            "organisation": organisation.pk,
            "signer_name": "Lhamo",
            "visibility": "public",
            "consent": "on",
        },
    )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.status == S.APPROVED
    assert [e.kind for e in OutboundEmail.objects.all()] == ["signature_approved"]
    assert "The signature is approved" in _messages(response)[0]


def test_a_member_cannot_sign_for_an_organisation_they_do_not_belong_to(
    client, letter, member, signer
):
    someone_elses = signer.organisations.get()
    client.force_login(member)
    before = world()

    response = client.post(
        _sign_url(letter),
        {
            "form": "member",
            "organisation": someone_elses.pk,
            "signer_name": "Dawa",
            "visibility": "public",
            "consent": "on",
        },
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["organisation"]
    assert world() == before


def test_a_member_can_open_the_full_form_to_sign_for_another_organisation(client, letter, member):
    """The member form links to "?other=1" ("Use the full form"): that page must show the
    full form, where any organisation can be named."""
    client.force_login(member)

    response = client.get(_sign_url(letter) + "?other=1")

    assert response.status_code == 200
    assert response.context["member_form"] is False
    assert 'name="organisation_name"' in response.content.decode()


def test_a_member_posting_the_full_form_signs_for_the_organisation_named(client, letter, member):
    client.force_login(member)

    response = client.post(_sign_url(letter), sign_form_data(signer_email=member.email))

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.proposed_organisation_name == NEW_ORGANISATION
    # Not a member of that one: the address is proven by email, as for anyone
    assert signature.status == S.PENDING_CONFIRMATION
    assert signature.submitted_by == member


# --- invitation links ----------------------------------------------------------------------------


def _invitation_link(letter, owner, **kwargs) -> str:
    kwargs.setdefault("email", "info@tibetaction.example.net")
    kwargs.setdefault("contact_name", "Tsering")
    services.invite(letter=letter, actor=owner, **kwargs)
    return link_in(as_sent(emails_of("invitation")[-1]).text, "invitations")


def test_an_invitation_link_fixes_the_organisation(client, open_letter, owner, organisation):
    url = _invitation_link(open_letter, owner, organisation=organisation)

    page = client.get(url)
    response = client.post(
        url,
        {
            "organisation_name": "Someone Else Entirely",  # not a field here: ignored
            "signer_name": "Tsering",
            "signer_email": "tsering@tibetaction.example.net",
            "visibility": "public",
            "consent": "on",
        },
    )

    assert "You were invited to sign for <strong>Tibet Action Institute</strong>" in text_of(page)
    assert 'name="organisation_name"' not in page.content.decode()
    assert page.context["form"].initial["signer_email"] == "info@tibetaction.example.net"
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.organisation, signature.authority) == (
        organisation,
        Signature.Authority.INVITATION,
    )
    assert Organisation.objects.count() == 1
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED


def test_an_invitation_to_an_unregistered_organisation_signs_for_the_name_it_gives(
    client, open_letter, owner
):
    url = _invitation_link(open_letter, owner, organisation_name="Tibet Watch")

    page = client.get(url)
    response = client.post(
        url,
        {
            "organisation_name": "Human Rights Watch",  # not a field here: ignored
            "based_in": "London",
            "signer_name": "Lhamo",
            "signer_email": "lhamo@tibetwatch.example.net",
            "visibility": "public",
            "consent": "on",
        },
    )

    content = page.content.decode()
    assert 'name="organisation_name"' not in content
    assert 'name="based_in"' in content  # the new organisation may say where it works
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.status, signature.authority) == (
        S.PENDING_CONFIRMATION,
        Signature.Authority.INVITATION,
    )
    # Registered under the invitation's name once the signer confirms
    assert not Organisation.objects.exists()
    services.confirm_signature(signature=signature)
    signature = Signature.objects.select_related("public_organisation").get()
    assert (signature.organisation.name, signature.organisation.based_in) == (
        "Tibet Watch",
        "London",
    )
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Tibet Watch"]


def _without_secrets(text: str) -> str:
    """A page or email with what differs between two invitees blanked: their addresses,
    their organisations' names, the links' tokens, the CSRF token."""
    for name in (
        "info@tibetaction.example.net",
        "info@tibetwatch.example.net",
        "Tibet Action Institute",
        "Tibet Watch",
    ):
        text = text.replace(name, "<ORG>")
    text = re.sub(r"/letters/(signatures/manage|invitations)/[^/\s\"'<>]+/", "<LINK>", text)
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1"', text)


def _invitee_form(email: str) -> dict:
    return {
        "signer_name": "Tsering",
        "signer_email": email,
        "visibility": "public",
        "consent": "on",
    }


def test_an_invitee_signing_with_the_invited_address_sees_the_signature_confirmed(
    client, open_letter, owner, organisation
):
    # Given a personal link emailed to info@tibetaction.example.net
    url = _invitation_link(open_letter, owner, organisation=organisation)

    # When its holder signs with that address, as the form offers it
    response = client.post(url, _invitee_form("INFO@tibetaction.example.net"))

    # Then the page says it is confirmed and the receipt is on its way, not "check your email"
    assert response.status_code == 200
    text = text_of(response)
    assert "Thank you: your signature is confirmed" in text
    assert "We have emailed you a receipt" in text
    assert "A moderator now checks that the signature is genuine" in text
    assert "Check your email" not in text
    assert Signature.objects.get().status == S.PENDING_REVIEW
    assert [e.kind for e in OutboundEmail.objects.exclude(kind="invitation")] == [
        "signature_receipt"
    ]


def test_an_invitee_signing_with_another_address_is_asked_to_confirm_it(
    client, open_letter, owner, organisation
):
    url = _invitation_link(open_letter, owner, organisation=organisation)

    response = client.post(url, _invitee_form("tsering@tibetaction.example.net"))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:sign-sent", args=[open_letter.slug])
    assert Signature.objects.get().status == S.PENDING_CONFIRMATION
    assert [e.kind for e in OutboundEmail.objects.exclude(kind="invitation")] == [
        "signature_confirm"
    ]


def test_an_invitee_whose_organisation_signed_sees_what_any_invitee_sees(
    client, open_letter, owner, organisation
):
    """The page after signing in one step is the one of a signature awaiting review, whether or
    not the organisation signed already through another contact's invitation (issue 11)."""
    # Given one organisation that signed through an earlier invitation, and one that did not
    other = verified_organisation(name="Tibet Watch", domain="tibetwatch.example.net")
    first_url = _invitation_link(
        open_letter, owner, organisation=organisation, email="dawa@tibetaction.example.net"
    )
    client.post(first_url, _invitee_form("dawa@tibetaction.example.net"))
    signed_url = _invitation_link(open_letter, owner, organisation=organisation)
    never_url = _invitation_link(
        open_letter, owner, organisation=other, email="info@tibetwatch.example.net"
    )

    # When a second contact of each signs through their link with their own address
    signed = client.post(signed_url, _invitee_form("info@tibetaction.example.net"))
    never = client.post(never_url, _invitee_form("info@tibetwatch.example.net"))

    # Then both see the same page and get the same receipt; only the first is a duplicate
    assert (signed.status_code, never.status_code) == (200, 200)
    assert _without_secrets(text_of(signed)) == _without_secrets(text_of(never))
    [to_signed] = emails_of("signature_receipt")[1:2]
    [to_never] = emails_of("signature_receipt")[2:]
    assert to_signed.to == "info@tibetaction.example.net"
    for part in ("subject", "text", "html"):
        assert _without_secrets(getattr(as_sent(to_signed), part)) == _without_secrets(
            getattr(as_sent(to_never), part)
        )
    assert sorted(Signature.objects.values_list("status", flat=True)) == [
        S.DUPLICATE,
        S.PENDING_REVIEW,
        S.PENDING_REVIEW,
    ]


def test_a_member_signing_through_an_invitation_signs_only_for_the_invited_organisation(
    client, open_letter, owner, member, organisation
):
    """The member form lists the member's organisations; through an invitation to another
    organisation it must not be offered."""
    url = _invitation_link(open_letter, owner, organisation_name="Tibet Watch")
    client.force_login(member)

    page = client.get(url)

    assert page.context["member_form"] is False
    assert organisation.name not in page.content.decode()


def test_a_revoked_invitation_link_no_longer_works(client, open_letter, owner, organisation):
    url = _invitation_link(open_letter, owner, organisation=organisation)
    Invitation.objects.update(status=Invitation.Status.REVOKED)
    before = world()

    page = client.get(url)
    response = client.post(
        url,
        {
            "signer_name": "T",
            "signer_email": "t@example.org",
            "visibility": "public",
            "consent": "on",
        },
    )

    assert (page.status_code, response.status_code) == (410, 410)
    assert "This invitation link no longer works" in text_of(page)
    assert world() == before


def test_an_invitation_link_to_a_closed_letter_shows_no_form(
    client, open_letter, owner, organisation
):
    url = _invitation_link(open_letter, owner, organisation=organisation)
    services.close_letter(letter=open_letter, actor=owner)
    before = world()

    page = client.get(url)
    response = client.post(
        url,
        {
            "signer_name": "T",
            "signer_email": "t@example.org",
            "visibility": "public",
            "consent": "on",
        },
    )

    assert "This letter is not collecting signatures." in text_of(page)
    assert response.status_code == 200
    assert world() == before


# --- withdrawing as a member ---------------------------------------------------------------------


def test_a_member_withdraws_their_organisations_signature(client, letter, member, organisation):
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)
    client.force_login(member)
    url = reverse("letters:signature-withdraw", args=[signature.pk])

    page = client.get(url)
    signature.refresh_from_db()
    assert signature.status == S.APPROVED  # asking changes nothing
    response = client.post(url, {"confirm": "on"})

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == reverse("letters:my-signatures")
    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    assert [e.kind for e in emails_of("signature_withdrawn")] == ["signature_withdrawn"]


def test_withdrawing_needs_the_box_ticked(client, letter, member, organisation):
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)
    client.force_login(member)
    before = world()

    # What a browser sends when the box is left unticked: the CSRF token alone
    response = client.post(
        reverse("letters:signature-withdraw", args=[signature.pk]), {"csrfmiddlewaretoken": "x"}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["confirm"]
    assert world() == before


def test_a_member_can_withdraw_after_publication(client, letter, owner, member, organisation):
    signature = in_state(sign(letter, organisation=organisation), S.APPROVED)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    client.force_login(member)

    response = client.post(
        reverse("letters:signature-withdraw", args=[signature.pk]), {"confirm": "on"}, follow=True
    )

    assert "The signature has been withdrawn." in text_of(response)
    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN


# --- lists of signatures -------------------------------------------------------------------------


def test_my_signatures_lists_the_signatures_of_my_organisations_only(
    client, make_letter, member, organisation, signer
):
    letter = open_mode_letter(make_letter)
    mine = sign(letter, organisation=organisation)
    sign(letter, organisation=signer.organisations.get(), signer_email="x@example.org")
    client.force_login(member)

    response = client.get(reverse("letters:my-signatures"))

    assert [s.pk for s in response.context["page"].object_list] == [mine.pk]
    page = text_of(response)
    assert organisation.name in page
    assert signer.organisations.get().name not in page
    assert SIGNER_EMAIL not in page  # a colleague's address is not shown either


def test_the_coordinator_list_filters_by_state_and_searches(client, letter, owner):
    pending = sign(letter, new_name="Tibet Watch", signer_email="lhamo@tibetwatch.example.net")
    approved = in_state(
        sign(letter, new_name="Uyghur Human Rights Project", signer_email="a@uhrp.example.org"),
        S.APPROVED,
    )
    client.force_login(owner)
    url = reverse("letters:letter-signatures", args=[letter.slug])

    everything = client.get(url)
    only_approved = client.get(url, {"status": "approved"})
    found = client.get(url, {"q": "tibetwatch"})
    unknown_status = client.get(url, {"status": "secret"})

    assert {s.pk for s in everything.context["page"].object_list} == {pending.pk, approved.pk}
    assert [s.pk for s in only_approved.context["page"].object_list] == [approved.pk]
    assert [s.pk for s in found.context["page"].object_list] == [pending.pk]
    assert unknown_status.status_code == 404


def test_the_pages_of_a_filtered_signature_list_keep_the_filter(client, letter, owner):
    for n in range(51):
        services.sign_letter(
            letter=letter,
            organisation=services.OrganisationChoice(new_name=f"Filtered Organisation {n}"),
            signer_name="Pema",
            signer_email=f"p{n}@example.org",
            consent=True,
        )
    client.force_login(owner)

    response = client.get(
        reverse("letters:letter-signatures", args=[letter.slug]),
        {"status": "pending_confirmation", "q": "Filtered"},
    )

    assert 'href="?status=pending_confirmation&q=Filtered&page=2"' in text_of(response)
