"""Emails about a letter carry its public contact address as Reply-To (issue 15, item 4),
through a real SMTP server (aiosmtpd)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from letters import services
from outbox.models import OutboundEmail

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
