"""Emails about a letter carry its public contact address as Reply-To (issue 15, item 4),
through a real SMTP server (aiosmtpd)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.loader import render_to_string
from django.urls import reverse

from letters import services
from outbox.models import OutboundEmail
from tests.emails import as_sent
from tests.letters.signing_helpers import manage_path

from .conftest import sign_and_confirm

QUEUE = reverse("admin:letters_pendingsignature_changelist")


def _approve_one(client, moderator, letter, django_capture_on_commit_callbacks):
    signature = sign_and_confirm(letter, name="Alpha Rights", email="ana@alpha.example.net")
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            QUEUE,
            {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: [signature.pk]},
        )


def _approval(smtp_server):
    ids = set(
        OutboundEmail.objects.filter(kind="signature_approved").values_list("message_id", flat=True)
    )
    [message] = [m for m in smtp_server.messages if m["Message-ID"] in ids]
    return message


@pytest.mark.django_db
def test_emails_about_a_letter_reply_to_its_public_contact(
    client, moderator, owner, letter, smtp_server, django_capture_on_commit_callbacks
):
    services.update_letter(
        letter=letter, actor=owner, public_contact_email="campaigns@ngo.example.org"
    )
    letter.refresh_from_db()

    _approve_one(client, moderator, letter, django_capture_on_commit_callbacks)

    assert _approval(smtp_server)["Reply-To"] == "campaigns@ngo.example.org"


@pytest.mark.django_db
def test_without_a_public_contact_there_is_no_reply_to(
    client, moderator, letter, smtp_server, django_capture_on_commit_callbacks
):
    _approve_one(client, moderator, letter, django_capture_on_commit_callbacks)

    assert _approval(smtp_server)["Reply-To"] is None


def _reject_one(client, moderator, letter, django_capture_on_commit_callbacks) -> str:
    signature = sign_and_confirm(letter, name="Beta Rights", email="ben@beta.example.net")
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            QUEUE,
            {
                "action": "reject_selected",
                ACTION_CHECKBOX_NAME: [signature.pk],
                "apply": "1",
                "reason": "cannot_verify_authority",
                "note": "",
            },
        )
    row = OutboundEmail.objects.get(kind="signature_rejected")
    return " ".join(as_sent(row).text.split())


@pytest.mark.django_db
def test_the_rejection_email_gives_the_public_contact(
    client, moderator, owner, letter, django_capture_on_commit_callbacks
):
    services.update_letter(letter=letter, actor=owner, public_contact_email="campaigns@ngo.org")
    letter.refresh_from_db()

    text = _reject_one(client, moderator, letter, django_capture_on_commit_callbacks)

    assert "write to the letter's coordinators at campaigns@ngo.org" in text
    assert "reply to the letter's coordinators" not in text


@pytest.mark.django_db
def test_without_a_contact_the_rejection_email_promises_none(
    client, moderator, letter, django_capture_on_commit_callbacks
):
    text = _reject_one(client, moderator, letter, django_capture_on_commit_callbacks)

    assert "This letter has no public contact address" in text
    assert "reply to the letter's coordinators" not in text


# The emails that tell of a withdrawal or a change say how to reach the coordinators, not only
# that one should (issue 15, item 4).


def _text_of(kind: str) -> str:
    return " ".join(as_sent(OutboundEmail.objects.filter(kind=kind).latest("pk")).text.split())


@pytest.mark.django_db
def test_the_withdrawal_email_gives_the_public_contact(owner, letter):
    services.update_letter(letter=letter, actor=owner, public_contact_email="campaigns@ngo.org")
    letter.refresh_from_db()
    signature = sign_and_confirm(letter, name="Gamma Rights", email="gia@gamma.example.net")

    services.withdraw_signature(signature=signature)

    text = _text_of("signature_withdrawn")
    assert "tell the letter's coordinators" in text
    assert "write to the letter's coordinators at campaigns@ngo.org" in text


@pytest.mark.django_db
@pytest.mark.parametrize("extension", ["txt", "html"])
def test_the_change_email_gives_the_public_contact(owner, letter, extension):
    services.update_letter(letter=letter, actor=owner, public_contact_email="campaigns@ngo.org")
    letter.refresh_from_db()
    signature = sign_and_confirm(letter, name="Zeta Rights", email="zed@zeta.example.net")

    text = render_to_string(
        f"email/signature_changed_message.{extension}",
        {"letter": letter, "signature": signature, "withdrawn": True, "letter_url": "/"},
    )

    assert "campaigns@ngo.org" in text


@pytest.mark.django_db
def test_without_a_contact_the_withdrawal_email_promises_none(letter):
    signature = sign_and_confirm(letter, name="Delta Rights", email="dan@delta.example.net")

    services.withdraw_signature(signature=signature)

    assert "This letter has no public contact address" in _text_of("signature_withdrawn")


@pytest.mark.django_db
def test_the_manage_page_gives_the_public_contact(client, owner, letter):
    services.update_letter(letter=letter, actor=owner, public_contact_email="campaigns@ngo.org")
    signature = sign_and_confirm(letter, name="Epsilon Rights", email="eve@eps.example.net")

    page = client.get(manage_path(signature))

    assert 'href="mailto:campaigns@ngo.org"' in page.content.decode()
