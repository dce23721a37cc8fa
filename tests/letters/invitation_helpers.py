"""Shared pieces of the invitations tests: a CSV import through the services, delivering the
outbox in-process, the secret inside an invitation email, and the state a refusal must leave
unchanged."""

import io
import re

from django.db import transaction

from audit.models import AuditEvent
from letters import contact_lists, services, tokens
from letters.models import Invitation, InvitationImport, Letter
from organisations.models import Organisation
from outbox import services as outbox
from outbox.models import OutboundEmail
from tests.emails import as_sent

SITE_URL = "http://127.0.0.1:8000"
HEADER = "organisation,contact name,email,based in\n"
LOCMEM_MAILER = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def upload(letter: Letter, actor, text: str, filename: str = "contacts.csv") -> InvitationImport:
    parsed = contact_lists.read_contacts(io.BytesIO(text.encode("utf-8")), max_rows=10_000)
    return services.start_import(letter=letter, actor=actor, parsed=parsed, filename=filename)


def deliver_outbox() -> dict:
    """Send every queued row now (what the worker does after commit), as the task would."""
    ids = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return outbox.deliver_many(ids)


def secret_in(email: OutboundEmail) -> str:
    """The secret of the sign link in an invitation (or reminder) email."""
    [secret] = set(
        re.findall(re.escape(SITE_URL) + r"/letters/invitations/([^/\s]+)/", as_sent(email).text)
    )
    return secret


def links_in(email: OutboundEmail) -> set[str]:
    return set(
        re.findall(re.escape(SITE_URL) + r"(/letters/invitations/[^\s]+/)", as_sent(email).text)
    )


def latest_email_of(invitation: Invitation) -> OutboundEmail:
    invitation.refresh_from_db()
    return invitation.outbound_email


def invitation_world() -> dict:
    """Everything a refused request must leave exactly as it was."""
    return {
        "invitations": list(
            Invitation.objects.order_by("pk").values_list(
                "pk",
                "status",
                "token_hash",
                "token_seed",
                "email",
                "organisation_id",
                "outbound_email_id",
                "reminded_at",
                "reminder_count",
                "responded_at",
                "decline_reason",
                "updated_at",
            )
        ),
        "imports": list(
            InvitationImport.objects.order_by("pk").values_list("pk", "status", "rows")
        ),
        "organisations": list(Organisation.objects.order_by("pk").values_list("pk", "name")),
        "emails": list(OutboundEmail.objects.order_by("pk").values_list("pk", "kind", "to")),
        "events": AuditEvent.objects.count(),
    }


def hash_of(secret: str) -> str:
    return tokens.hash_secret(secret)


def run_on_commit(django_capture_on_commit_callbacks, function, **kwargs):
    """Call a service and run what it scheduled for after commit (the eager delivery tasks)."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        return function(**kwargs)


def page_text(response) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    import html

    text = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    blocks = r"</?(p|li|ul|ol|td|th|tr|div|br|h[1-6]|dt|dd|dl|section|nav|header|footer|main|form|label|option|select|button|table|caption|pre)\b[^>]*>"
    text = re.sub(blocks, " ", text)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
