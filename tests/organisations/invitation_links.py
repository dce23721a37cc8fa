"""Reading a membership invitation's link the way the invitee does: from the email."""

import re

from django.urls import reverse

from organisations.models import MembershipInvitation
from outbox.models import OutboundEmail
from tests.emails import as_sent

INVITEE_EMAIL = "invitee@elsewhere.example.org"


def secret_of(invitation: MembershipInvitation) -> str:
    """The secret of the invitation's link (the database keeps only its hash)."""
    email = OutboundEmail.objects.get(dedupe_key=f"membership-invitation:{invitation.pk}")
    match = re.search(r"/organisations/invitations/([A-Za-z0-9_-]+)/", as_sent(email).text)
    assert match is not None, as_sent(email).text
    return match.group(1)


def accept_url(secret: str) -> str:
    return reverse("organisations:invitation-accept", kwargs={"secret": secret})
