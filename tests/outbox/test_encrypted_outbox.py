"""Issue 12: the outbox stores each email's address, subject, bodies and error encrypted. A copy
of the table reads none of them; sent, the message is exactly what was queued; rows are found
by the keyed hash of their address (support, the admin's search, erasure)."""

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from outbox import services
from outbox.models import OutboundEmail
from outbox.rendering import RenderedEmail
from tests.emails import text_body

pytestmark = pytest.mark.django_db

ADDRESS = "nurmuhammad@uyghur-voices.example.org"
SUBJECT = "Your signature for Uyghur Voices Collective"
TEXT = "Dear Nurmuhammad Tohti, thank you for signing."


def _queue(**kwargs) -> OutboundEmail:
    return services.queue_email(
        kind="signature_approved",
        to=ADDRESS,
        context={},
        dedupe_key=kwargs.pop("dedupe_key", "k:encrypted"),
        rendered=RenderedEmail(subject=SUBJECT, text=TEXT, html=f"<p>{TEXT}</p>"),
        **kwargs,
    )


def raw_outbox() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM outbox_outboundemail t")
        return "\n".join(row for (row,) in cursor.fetchall())


def test_a_copy_of_the_outbox_reads_no_address_subject_or_body():
    _queue(enqueue=False)

    stored = raw_outbox()

    for clear in (ADDRESS, "uyghur-voices", SUBJECT, "Uyghur Voices", "Nurmuhammad", "thank you"):
        assert clear not in stored


def test_every_row_has_its_address_hash_from_the_start():
    email = _queue(enqueue=False)

    assert email.to_hash == services.address_hash(ADDRESS)
    assert (
        OutboundEmail.objects.filter(to_hash=services.address_hash(ADDRESS.upper())).get() == email
    )


def test_sent_it_is_the_message_that_was_queued(smtp_server):
    email = _queue(enqueue=False)

    assert services.deliver(email_id=email.pk).status == "sent"

    [message] = smtp_server.messages
    assert message["To"] == ADDRESS
    assert message["Subject"] == SUBJECT
    assert TEXT in text_body(message)


def test_the_admin_finds_a_row_by_its_exact_address(client, superuser):
    email = _queue(enqueue=False)
    _queue(enqueue=False, dedupe_key="k:other").__class__.objects.filter(
        dedupe_key="k:other"
    ).update(to_hash=services.address_hash("someone@else.example"))
    client.force_login(superuser)

    response = client.get(reverse("admin:outbox_outboundemail_changelist"), {"q": ADDRESS.upper()})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [email]


def test_a_failed_email_with_links_is_not_requeued_and_one_without_is():
    plain = _queue(enqueue=False, dedupe_key="k:plain")
    linked = services.queue_email(
        kind="signature_approved",
        to=ADDRESS,
        context={},
        dedupe_key="k:linked",
        enqueue=False,
        rendered=RenderedEmail(
            subject="s",
            text=settings.SITE_URL
            + reverse("letters:signature-manage", kwargs={"token": "a-secret-token-0123"}),
            html="",
        ),
    )
    OutboundEmail.objects.filter(pk__in=[plain.pk, linked.pk]).update(status="failed")

    assert services.requeue_failed(email_ids=[plain.pk, linked.pk]) == 1
