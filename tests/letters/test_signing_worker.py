"""Signing end to end through a real SMTP server (aiosmtpd) and a real Celery worker on Redis:
the sign form → the confirmation email arrives → its link shows a page and changes nothing →
its button confirms. Skipped without Redis; a failure under REQUIRE_SERVICES=1."""

from email.message import Message

import pytest
from django.urls import reverse

from letters.models import Letter, Signature
from outbox.models import OutboundEmail
from tests.conftest import wait_for
from tests.emails import html_body, subject_of, text_body
from tests.letters.signing_helpers import (
    SIGNER_EMAIL,
    link_in,
    open_mode_letter,
    sign_form_data,
    text_of,
    verified_organisation,
    world,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

S = Signature.Status


def _all_sent() -> bool:
    return not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()


def _messages_of_kind(smtp_server, kind: str) -> list[Message]:
    ids = set(OutboundEmail.objects.filter(kind=kind).values_list("message_id", flat=True))
    return [m for m in smtp_server.messages if m["Message-ID"] in ids]


def test_sign_then_confirm_through_the_emailed_link(
    client, celery_worker, smtp_server, make_letter
):
    # Given an open letter that anyone may ask to sign
    letter = open_mode_letter(make_letter)

    # When a new person signs through the real form
    response = client.post(reverse("letters:sign", args=[letter.slug]), sign_form_data())
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.status == S.PENDING_CONFIRMATION

    # Then the worker delivers the confirmation email to the SMTP server, once
    [message] = wait_for(lambda: smtp_server.to(SIGNER_EMAIL), message="confirmation email")
    # The worker marks the row sent just after the SMTP server took the message.
    row = wait_for(
        lambda: OutboundEmail.objects.filter(status="sent").first(), message="the row marked sent"
    )
    assert (row.kind, row.status) == ("signature_confirm", "sent")
    assert message["Message-ID"] == row.message_id
    assert subject_of(message) == (
        "Confirm the signature of Tibetan Women's Association on “Raise human rights in Beijing”"
    )
    body = text_body(message)
    assert f"- Version: {signature.version.number}\n" in body
    assert signature.version_hash in body
    assert signature.version_hash in html_body(message)

    # When the signer (or their mail scanner) opens the link
    path = link_in(body, "signatures/confirm")
    before = world()
    page = client.get(path)
    head = client.head(path)

    # Then they see a page with a button, and nothing changed
    assert (page.status_code, head.status_code) == (200, 200)
    assert "Yes, confirm the signature" in text_of(page)
    assert signature.version_hash in text_of(page)
    assert world() == before

    # When they press the button
    confirmed = client.post(path)

    # Then the signature awaits review, and no other email was sent
    assert confirmed.status_code == 200
    assert "Thank you: your signature is confirmed" in text_of(confirmed)
    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW
    assert OutboundEmail.objects.count() == 1
    assert len(smtp_server.messages) == 1

    # And a second press changes nothing
    again = client.post(path)
    assert "Already confirmed" in text_of(again)
    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW


def test_a_verified_signer_is_approved_on_confirmation_and_gets_the_approval_email(
    client, celery_worker, smtp_server, make_letter
):
    # Given a letter that approves verified organisations at once, and such an organisation
    letter = open_mode_letter(make_letter, moderation_policy=Letter.ModerationPolicy.AUTO_VERIFIED)
    organisation = verified_organisation(name="Tibet Watch", domain="tibetwatch.example.net")
    address = "lhamo@tibetwatch.example.net"

    # When its staff member signs through the form with an address at its verified domain
    response = client.post(
        reverse("letters:sign", args=[letter.slug]),
        sign_form_data(organisation_name="tibet watch", signer_email=address),
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.organisation, signature.authority) == (
        organisation,
        Signature.Authority.VERIFIED_DOMAIN,
    )

    # And confirms through the link in the email the worker delivered
    [confirmation] = wait_for(lambda: smtp_server.to(address), message="confirmation email")
    path = link_in(text_body(confirmation), "signatures/confirm")
    assert client.get(path).status_code == 200
    signature.refresh_from_db()
    assert signature.status == S.PENDING_CONFIRMATION
    confirmed = client.post(path)

    # Then the signature is approved and the approval email arrives
    assert "is now a signatory" in text_of(confirmed)
    signature.refresh_from_db()
    assert signature.status == S.APPROVED
    [approval] = wait_for(
        lambda: _messages_of_kind(smtp_server, "signature_approved"), message="approval email"
    )
    assert approval["To"] == address
    assert subject_of(approval) == (
        "Tibet Watch is now a signatory of “Raise human rights in Beijing”"
    )
    assert signature.version_hash in text_body(approval)
    assert "/letters/signatures/manage/" in text_body(approval)
    wait_for(_all_sent, message="every email sent")
    assert sorted(OutboundEmail.objects.values_list("kind", flat=True)) == [
        "signature_approved",
        "signature_confirm",
    ]
    assert len(smtp_server.messages) == 2
