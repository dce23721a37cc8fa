"""Decision emails through a real SMTP server (aiosmtpd): in-process tasks in the first test,
a real Celery worker on Redis in the second (skipped without Redis, a failure under
REQUIRE_SERVICES=1)."""

from email.message import Message

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from letters.models import Signature
from outbox.models import OutboundEmail
from tests.conftest import wait_for
from tests.emails import subject_of, text_body

from .conftest import sign_and_confirm

QUEUE = reverse("admin:letters_pendingsignature_changelist")
DECISIONS = ["signature_approved", "signature_rejected"]


def _signatures(letter) -> tuple[Signature, Signature]:
    return (
        sign_and_confirm(letter, name="Alpha Rights", email="ana@alpha.example.net"),
        sign_and_confirm(letter, name="Beta Rights", email="ben@beta.example.net"),
    )


def _decide(client, approved: Signature, rejected: Signature) -> None:
    """Approve one and reject the other with a reason, through the admin."""
    client.post(
        QUEUE, {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: [approved.pk]}
    )
    client.post(
        QUEUE,
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: [rejected.pk],
            "apply": "1",
            "reason": Signature.RejectionReason.CANNOT_VERIFY_AUTHORITY,
            "note": "Please sign from an address at your organisation.",
        },
    )


def _decisions(smtp_server) -> dict[str, list[Message]]:
    """The decision emails the SMTP server accepted, by recipient (the set-up's confirmation
    requests may be there too)."""
    ids = set(OutboundEmail.objects.filter(kind__in=DECISIONS).values_list("message_id", flat=True))
    found: dict[str, list[Message]] = {}
    for message in smtp_server.messages:
        if message["Message-ID"] in ids:
            found.setdefault(message["To"], []).append(message)
    return found


def _assert_delivered(smtp_server) -> None:
    delivered = _decisions(smtp_server)
    assert sorted(delivered) == ["ana@alpha.example.net", "ben@beta.example.net"]
    [approval] = delivered["ana@alpha.example.net"]
    [rejection] = delivered["ben@beta.example.net"]
    assert subject_of(approval) == (
        "Alpha Rights is now a signatory of “Raise human rights in Beijing”"
    )
    assert subject_of(rejection) == (
        "The signature of Beta Rights on “Raise human rights in Beijing” was not accepted"
    )
    body = text_body(rejection)
    assert "Reason: We could not verify the authority to sign" in body
    assert "The moderator's note: Please sign from an address at your organisation." in body
    assert set(
        OutboundEmail.objects.filter(kind__in=DECISIONS).values_list("status", flat=True)
    ) == {"sent"}


@pytest.mark.django_db
def test_decision_emails_reach_the_smtp_server(
    client, moderator, letter, smtp_server, django_capture_on_commit_callbacks
):
    approved, rejected = _signatures(letter)
    client.force_login(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        _decide(client, approved, rejected)

    _assert_delivered(smtp_server)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_decision_emails_through_the_worker(client, celery_worker, smtp_server, moderator, letter):
    approved, rejected = _signatures(letter)
    client.force_login(moderator)

    _decide(client, approved, rejected)

    wait_for(lambda: len(_decisions(smtp_server)) == 2, message="both decision emails")
    wait_for(
        lambda: (
            not OutboundEmail.objects.filter(kind__in=DECISIONS).exclude(status="sent").exists()
        ),
        message="the rows marked sent",
    )
    _assert_delivered(smtp_server)
