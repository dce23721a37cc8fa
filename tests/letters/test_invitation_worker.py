"""Invitations end to end through a real Celery worker on Redis and a real SMTP server
(aiosmtpd): a CSV of 1,000 contacts → one message per address at the server, counted by
Message-ID, and every invitation marked sent; a refused address ends failed and is delivered
when resent. Skipped without Redis; a failure under REQUIRE_SERVICES=1."""

from collections import Counter
from email.utils import getaddresses

import pytest
from django.db import connection

from letters import services
from letters.models import Invitation
from outbox.models import OutboundEmail
from tests.conftest import skip_or_fail, wait_for
from tests.letters.invitation_helpers import HEADER, upload

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

St = Invitation.Status


def _statuses() -> Counter:
    return Counter(Invitation.objects.values_list("status", flat=True))


def test_a_thousand_invitations_arrive_once_each(celery_worker, smtp_server, open_letter, owner):
    if connection.vendor != "postgresql":
        # SQLite's shared in-memory test database locks whole tables: the worker's two threads
        # writing at once get "database table is locked" instead of waiting their turn.
        skip_or_fail(
            f"1,000 parallel deliveries need PostgreSQL; this run uses {connection.vendor}"
        )
    # Given a CSV of 1,000 contacts, checked and kept for the preview
    rows = "".join(
        f"Organisation {i},Contact {i},contact{i}@org{i % 97}.example.org,\n" for i in range(1000)
    )
    invitation_import = upload(open_letter, owner, HEADER + rows)

    # When the coordinator confirms (the emails are enqueued when the transaction commits)
    assert len(services.confirm_import(invitation_import=invitation_import, actor=owner)) == 1000

    # Then the worker delivers every one, and each invitation follows its email (the SMTP
    # server is watched, not the database: a reader would compete with the worker)
    wait_for(lambda: len(smtp_server.messages) >= 1000, timeout=60, message="1,000 messages")
    wait_for(lambda: _statuses() == Counter({St.SENT: 1000}), message="1,000 invitations sent")
    message_ids = smtp_server.message_ids()
    assert len(message_ids) == 1000
    assert set(message_ids) == set(OutboundEmail.objects.values_list("message_id", flat=True))
    recipients = Counter(
        address
        for message in smtp_server.messages
        for _name, address in getaddresses([message["To"]])
    )
    assert recipients == Counter({f"contact{i}@org{i % 97}.example.org": 1 for i in range(1000)})
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_refused_address_fails_and_is_delivered_when_resent(
    celery_worker, smtp_server, open_letter, owner
):
    # Given an SMTP server that refuses the first message for good
    smtp_server.replies = ["550 5.1.1 No such user"]
    first = services.invite(
        letter=open_letter, actor=owner, email="gone@x.example.org", organisation_name="A"
    )

    # Then the invitation fails, with the server's answer
    wait_for(
        lambda: Invitation.objects.filter(pk=first.pk, status=St.FAILED).exists(),
        message="the invitation to fail",
    )
    first.refresh_from_db()
    assert first.last_error.startswith("SMTPDataError: (550, b'5.1.1 No such user')")
    assert smtp_server.messages == []

    # When the coordinator resends it (the address was fixed at the other end)
    services.resend_invitation(invitation=first, actor=owner)

    # Then it arrives, and the invitation is sent
    wait_for(
        lambda: Invitation.objects.filter(pk=first.pk, status=St.SENT).exists(),
        message="the resent invitation",
    )
    first.refresh_from_db()
    assert (first.last_error, len(smtp_server.messages)) == ("", 1)
    assert smtp_server.messages[0]["Message-ID"] == first.outbound_email.message_id
