"""A response recorded on the published demo letter, end to end (issue 17, item 1): through
the coordinator's page, the real Celery worker on Redis and a real SMTP server (aiosmtpd).
Every approved signer gets it once; the organisation that withdrew does not; the letter page
shows it to a visitor. Skipped without Redis; a failure under REQUIRE_SERVICES=1."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from letters import services
from letters.demo import PUBLISHED_LETTER_TITLE
from letters.models import Letter, LetterResponse, Signature
from outbox.models import OutboundEmail
from tests.conftest import wait_for
from tests.emails import html_body, subject_of, text_body
from tests.publication.conftest import visible_text

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_response_on_the_demo_letter_reaches_every_approved_signer_once(
    client, celery_worker, smtp_server, settings
):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())
    letter = Letter.objects.get(title=PUBLISHED_LETTER_TITLE)
    coordinator = User.objects.get(email="coordinator@demo.undersigned.test")
    # One organisation withdraws after delivery: it is no longer told anything.
    withdrawn = Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED).first()
    services.withdraw_signature(signature=withdrawn)
    approved = list(Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED))
    assert len(approved) >= 5

    # When the coordinator records the response and chooses to email it
    client.force_login(coordinator)
    answer = client.post(
        reverse("letters:responses", args=[letter.slug]),
        {
            "kind": LetterResponse.Kind.RESPONSE,
            "received_on": timezone.localdate().isoformat(),
            "from_whom": "The Vice-Chancellor's office",
            "text": "We have asked every university to name a contact for students at risk.",
            "email_signers": "on",
        },
    )
    assert answer.status_code == 302

    # Then every approved signer gets it once, through the worker and the SMTP server
    rows = OutboundEmail.objects.filter(kind="letter_response")
    assert rows.count() == len(approved)
    wait_for(
        lambda: rows.filter(status=OutboundEmail.Status.SENT).count() == len(approved),
        message="every response email sent",
    )
    received = [m for m in smtp_server.messages if "Response to" in subject_of(m)]
    assert sorted(m["To"] for m in received) == sorted(s.signer_email for s in approved)
    assert len({m["Message-ID"] for m in received}) == len(approved)
    assert withdrawn.signer_email not in {m["To"] for m in received}
    message = received[0]
    assert subject_of(message) == f"Response to “{letter.title}”"
    assert "The Vice-Chancellor's office" in text_body(message)
    assert "name a contact for students at risk" in html_body(message)

    # And a visitor reads it on the letter's page
    client.logout()
    page = visible_text(client.get(letter.get_absolute_url()))
    assert "Response from The Vice-Chancellor's office" in page
    assert "name a contact for students at risk" in page
    # The demo's own response is there too, older
    assert page.index("The Vice-Chancellor's office") < page.index("office of the Chief Executive")
