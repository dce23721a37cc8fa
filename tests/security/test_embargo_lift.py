"""Issue 11, item 6: lifting the embargo is never silent.

Turning on "show signatories while collecting" on an open letter names everyone who signed
under the embargo. It is a step of its own (services.request_embargo_lift, a confirmation page
with the publish page's kind of warning): every approved signer named publicly is emailed at
request time, with the link to narrow their visibility, and the list becomes public only after
a notice period (settings.EMBARGO_LIFT_NOTICE_HOURS), by lift_due_embargoes. The settings form
no longer lifts it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, NotAllowed, TransitionError
from letters import selectors, services
from letters.models import Letter
from outbox.models import OutboundEmail
from outbox.services import address_hash
from tests.factories import MembershipFactory, UserFactory, make_moderator
from tests.publication.conftest import V, sign_as

S = Letter.Status


def _public(letter: Letter) -> bool:
    return selectors.public_signatory_summary(Letter.objects.get(pk=letter.pk)).public


@pytest.fixture
def signed(embargoed_letter):
    sign_as(embargoed_letter, "Tibet Watch", signer_email="public@watch.example.net")
    sign_as(
        embargoed_letter,
        "Quiet Group",
        visibility=V.COUNTED_ONLY,
        signer_email="quiet@quiet.example.net",
    )
    sign_as(
        embargoed_letter,
        "Recipient Only Group",
        visibility=V.RECIPIENT_ONLY,
        signer_email="ro@ro.example.net",
    )
    sign_as(
        embargoed_letter,
        "Pending Group",
        status="pending_review",
        signer_email="pending@pending.example.net",
    )
    return embargoed_letter


# --- The old silent paths ------------------------------------------------------------------


@pytest.mark.django_db
def test_update_letter_cannot_lift_the_embargo_of_an_open_letter(signed, owner):
    with pytest.raises(DomainError):
        services.update_letter(letter=signed, actor=owner, signatories_public_while_open=True)
    assert not _public(signed)


@pytest.mark.django_db
def test_the_settings_form_does_not_lift_the_embargo(client, signed, owner):
    client.force_login(owner)
    client.post(
        reverse("letters:settings", kwargs={"slug": signed.slug}),
        {
            "recipient": signed.recipient,
            "sign_on_mode": signed.sign_on_mode,
            "moderation_policy": signed.moderation_policy,
            "signatories_public_while_open": "on",
            "reminder_days_before": 3,
        },
    )
    assert not _public(signed)
    assert not Letter.objects.get(pk=signed.pk).signatories_public_while_open


@pytest.mark.django_db
def test_a_draft_may_still_choose_a_public_list_before_anyone_signs(make_letter, owner):
    draft = make_letter(S.DRAFT)
    services.update_letter(letter=draft, actor=owner, signatories_public_while_open=True)
    assert Letter.objects.get(pk=draft.pk).signatories_public_while_open


@pytest.mark.django_db
def test_narrowing_back_to_an_embargo_is_always_allowed(make_letter, owner):
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    services.update_letter(letter=letter, actor=owner, signatories_public_while_open=False)
    assert not _public(letter)


# --- The lift, with notice -----------------------------------------------------------------


@pytest.mark.django_db
def test_request_emails_public_signers_and_keeps_the_list_private_until_due(
    signed, owner, settings
):
    settings.EMBARGO_LIFT_NOTICE_HOURS = 48
    services.request_embargo_lift(letter=signed, actor=owner)

    assert not _public(signed)
    notices = OutboundEmail.objects.filter(kind="embargo_lift_notice")
    # Approved or awaiting review, named publicly: the lifted list names them (the latter once
    # approved). Recipient-only and counted-only signers are never named: no email.
    assert sorted(notices.values_list("to", flat=True)) == [
        "pending@pending.example.net",
        "public@watch.example.net",
    ]
    body = notices.get(to_hash=address_hash("public@watch.example.net")).body_text
    assert "Tibet Watch" in body
    assert "/letters/signatures/" in body

    # Not yet due: nothing changes.
    assert services.lift_due_embargoes(now=timezone.now() + dt.timedelta(hours=47)) == []
    assert not _public(signed)

    assert services.lift_due_embargoes(now=timezone.now() + dt.timedelta(hours=49)) == [signed.pk]
    assert _public(signed)
    # Idempotent.
    assert services.lift_due_embargoes(now=timezone.now() + dt.timedelta(hours=50)) == []


@pytest.mark.django_db
def test_a_signer_who_narrows_during_the_notice_is_not_named(signed, owner):
    services.request_embargo_lift(letter=signed, actor=owner)
    # (the signer's address is stored encrypted: found by reading, not by the database)
    [signature] = [
        s for s in signed.signatures.all() if s.signer_email == "public@watch.example.net"
    ]
    # With the manage link from the notice (which may only narrow)
    services.narrow_visibility(
        signature=signature, visibility=V.COUNTED_ONLY, show_signer_name=False
    )
    services.lift_due_embargoes(now=timezone.now() + dt.timedelta(days=30))
    listed = selectors.public_signatories(Letter.objects.get(pk=signed.pk))
    assert listed.public
    assert "Tibet Watch" not in [s.name for s in listed.named]


@pytest.mark.django_db
def test_cancel_keeps_the_embargo(signed, owner):
    services.request_embargo_lift(letter=signed, actor=owner)
    services.cancel_embargo_lift(letter=signed, actor=owner)
    assert services.lift_due_embargoes(now=timezone.now() + dt.timedelta(days=30)) == []
    assert not _public(signed)


@pytest.mark.django_db
def test_illegal_transitions(make_letter, signed, owner, other_coordinator):
    with pytest.raises(TransitionError):
        services.request_embargo_lift(letter=make_letter(S.DRAFT), actor=owner)
    with pytest.raises(TransitionError):
        services.request_embargo_lift(letter=make_letter(S.PUBLISHED), actor=owner)
    with pytest.raises(TransitionError):
        services.request_embargo_lift(
            letter=make_letter(S.OPEN, signatories_public_while_open=True), actor=owner
        )
    with pytest.raises(TransitionError):
        services.cancel_embargo_lift(letter=signed, actor=owner)  # nothing pending
    with pytest.raises(NotAllowed):
        services.request_embargo_lift(letter=signed, actor=other_coordinator)
    services.request_embargo_lift(letter=signed, actor=owner)
    with pytest.raises(TransitionError):
        services.request_embargo_lift(letter=signed, actor=owner)  # already pending
    with pytest.raises(NotAllowed):
        services.cancel_embargo_lift(letter=signed, actor=other_coordinator)


@pytest.mark.django_db
def test_a_closed_letter_can_lift_too(make_letter, owner):
    letter = make_letter(S.CLOSED)
    services.request_embargo_lift(letter=letter, actor=owner)
    services.lift_due_embargoes(now=timezone.now() + dt.timedelta(days=30))
    assert _public(letter)


@pytest.mark.django_db
def test_a_letter_published_during_the_notice_is_not_touched(make_letter, owner):
    letter = make_letter(S.CLOSED)
    services.request_embargo_lift(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    assert services.lift_due_embargoes(now=timezone.now() + dt.timedelta(days=30)) == []


# --- The confirmation page, per role -------------------------------------------------------


def _url(letter: Letter) -> str:
    return reverse("letters:lift-embargo", kwargs={"slug": letter.slug})


@pytest.mark.django_db
def test_page_refuses_anonymous(client, signed):
    response = client.get(_url(signed))
    assert response.status_code == 302
    assert "login" in response["Location"]
    response = client.post(_url(signed), {"action": "request"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert Letter.objects.get(pk=signed.pk).embargo_lift_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["signer", "org_admin", "other_coordinator", "moderator"])
def test_page_refuses_everyone_but_the_letters_coordinators(client, signed, role, request):
    if role == "other_coordinator":
        user = request.getfixturevalue("other_coordinator")
    elif role == "moderator":
        user = make_moderator(email="mod@undersigned.example.org")
    else:
        user = MembershipFactory(
            user=UserFactory(email=f"{role}@ngo.example.org"),
            role="admin" if role == "org_admin" else "member",
        ).user
    client.force_login(user)
    assert client.get(_url(signed)).status_code == 404
    assert client.post(_url(signed), {"action": "request"}).status_code == 404
    assert Letter.objects.get(pk=signed.pk).embargo_lift_at is None


@pytest.mark.django_db
def test_page_warns_and_requests_for_the_coordinator(client, signed, owner):
    client.force_login(owner)
    page = client.get(_url(signed))
    assert page.status_code == 200
    text = page.content.decode()
    assert "email" in text.lower()
    response = client.post(_url(signed), {"action": "request"})
    assert response.status_code == 302
    assert Letter.objects.get(pk=signed.pk).embargo_lift_at is not None
    assert not _public(signed)
    response = client.post(_url(signed), {"action": "cancel"})
    assert response.status_code == 302
    assert Letter.objects.get(pk=signed.pk).embargo_lift_at is None
