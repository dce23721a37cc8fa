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
from tests.emails import outbox_to, text_body

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
    assert outbox_to(f"  {ADDRESS.upper()} ").get() == email
    assert not outbox_to("someone@else.example.org").exists()


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


HTML = f"<p>{TEXT}</p>"
OTHER_KEY = "Jd6zqf5cUbQ-3x1P0t9kQ8b5v6W0m2Xr4yZ1a7sNn0E="


def raw_columns(email: OutboundEmail) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "to", subject, body_text, body_html, last_error, to_hash '
            "FROM outbox_outboundemail WHERE id = %s",
            [email.pk],
        )
        return cursor.fetchone()


def test_each_column_of_the_row_is_a_token_not_the_text():
    email = _queue(enqueue=False)
    OutboundEmail.objects.filter(pk=email.pk).update(last_error=f"550 {ADDRESS} unknown")

    to, subject, text, html, error, to_hash = raw_columns(email)

    for stored, clear in ((to, ADDRESS), (subject, SUBJECT), (text, TEXT), (html, HTML)):
        assert stored.startswith("gAAAAA")  # a Fernet token
        assert clear not in stored
    assert ADDRESS not in error
    assert error.startswith("gAAAAA")
    assert to_hash == services.address_hash(ADDRESS)
    email.refresh_from_db()
    assert (email.to, email.subject, email.body_text, email.body_html) == (
        ADDRESS,
        SUBJECT,
        TEXT,
        HTML,
    )


def test_the_message_sent_is_byte_for_byte_what_was_rendered(smtp_server):
    from tests.emails import html_body, subject_of

    subject = "Votre signature — Collectif « Voix ouïghoures »"
    email = services.queue_email(
        kind="signature_approved",
        to=ADDRESS,
        context={},
        dedupe_key="k:exact",
        enqueue=False,
        rendered=RenderedEmail(subject=subject, text=TEXT + "\n\nمع الشكر", html=HTML),
    )

    assert services.deliver(email_id=email.pk).status == "sent"

    [message] = smtp_server.messages
    assert message["To"] == ADDRESS
    assert message["Message-ID"] == email.message_id
    assert subject_of(message) == subject
    # (the MIME text part ends with a line break, encrypted or not)
    assert text_body(message).removesuffix("\n") == TEXT + "\n\nمع الشكر"
    assert html_body(message).removesuffix("\n") == HTML


def test_links_sealed_apart_are_put_back_into_the_message_sent(smtp_server):
    link = settings.SITE_URL + reverse(
        "letters:signature-manage", kwargs={"token": "a-secret-token-0123"}
    )
    email = services.queue_email(
        kind="signature_approved",
        to=ADDRESS,
        context={},
        dedupe_key="k:link",
        enqueue=False,
        rendered=RenderedEmail(subject=SUBJECT, text=f"Manage: {link}", html=""),
    )
    assert "a-secret-token-0123" not in raw_outbox()
    email.refresh_from_db()
    assert "{{secret:0}}" in email.body_text

    assert services.deliver(email_id=email.pk).status == "sent"

    [message] = smtp_server.messages
    assert text_body(message).removesuffix("\n") == f"Manage: {link}"


def test_an_invalid_address_is_refused_and_nothing_is_written():
    from django.core.exceptions import ValidationError

    for bad in ("not an address", "a@b.example.org\nBcc: x@y.example.org", ""):
        with pytest.raises(ValidationError):
            services.queue_email(
                kind="signature_approved",
                to=bad,
                context={},
                dedupe_key=f"k:bad:{bad}",
                enqueue=False,
                rendered=RenderedEmail(subject=SUBJECT, text=TEXT, html=""),
            )
    specs = [
        services.EmailSpec(
            kind="signature_approved",
            to=to,
            context={},
            dedupe_key=f"k:many:{n}",
            rendered=RenderedEmail(subject=SUBJECT, text=TEXT, html=""),
        )
        for n, to in enumerate([ADDRESS, "broken@", ADDRESS])
    ]
    with pytest.raises(ValidationError):
        services.queue_emails(specs)

    assert not OutboundEmail.objects.exists()


def test_key_rotation_re_encrypts_the_outbox_and_it_is_still_sent(settings, smtp_server):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    email = _queue(enqueue=False)
    before = raw_columns(email)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_encryption_keys", stdout=io.StringIO())

    after = raw_columns(email)
    for old, new in zip(before[:4], after[:4], strict=True):  # address, subject, both bodies
        assert new != old
    assert after[5] == before[5]  # the address hash is keyed apart: unchanged
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key dropped
    assert outbox_to(ADDRESS).get() == email
    assert services.deliver(email_id=email.pk).status == "sent"
    [message] = smtp_server.messages
    assert (message["To"], message["Subject"]) == (ADDRESS, SUBJECT)


def _under_another_key(email: OutboundEmail, settings) -> None:
    """Rewrite the row's encrypted columns under a key that is then not configured (as after
    dropping a key too early)."""
    from core.crypto import encrypt_str

    keys = settings.FIELD_ENCRYPTION_KEYS
    settings.FIELD_ENCRYPTION_KEYS = [OTHER_KEY]
    tokens = [encrypt_str(v) for v in (ADDRESS, SUBJECT, TEXT, "550 refused")]
    settings.FIELD_ENCRYPTION_KEYS = keys
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE outbox_outboundemail SET "to" = %s, subject = %s, body_text = %s, '
            "last_error = %s WHERE id = %s",
            [*tokens, email.pk],
        )


def test_the_admin_shows_an_undecryptable_row_with_a_placeholder(client, superuser, settings):
    readable = _queue(enqueue=False, dedupe_key="k:readable")
    broken = services.queue_email(
        kind="signature_approved",
        to="other@example.org",
        context={},
        dedupe_key="k:broken",
        enqueue=False,
        rendered=RenderedEmail(subject=SUBJECT, text=TEXT, html=""),
    )
    _under_another_key(broken, settings)
    client.force_login(superuser)

    listing = client.get(reverse("admin:outbox_outboundemail_changelist"))
    change = client.get(reverse("admin:outbox_outboundemail_change", args=[broken.pk]))
    search = client.get(
        reverse("admin:outbox_outboundemail_changelist"), {"q": "other@example.org"}
    )

    assert listing.status_code == 200
    assert set(listing.context["cl"].result_list) == {readable, broken}
    assert "(cannot decrypt)" in listing.content.decode()
    assert ADDRESS in listing.content.decode()
    assert change.status_code == 200
    assert "(cannot decrypt)" in change.content.decode()
    assert search.status_code == 200
    assert list(search.context["cl"].result_list) == [broken]


def test_an_undecryptable_queued_row_fails_for_good_instead_of_crashing(settings):
    email = _queue(enqueue=False)
    _under_another_key(email, settings)

    outcome = services.deliver(email_id=email.pk)

    assert outcome.status == "failed"
    assert OutboundEmail.objects.filter(pk=email.pk, status="failed").exists()


def test_the_admin_search_keeps_the_list_filters(client, superuser):
    email = _queue(enqueue=False)
    client.force_login(superuser)

    failed = client.get(
        reverse("admin:outbox_outboundemail_changelist"), {"q": ADDRESS, "status__exact": "failed"}
    )
    queued = client.get(
        reverse("admin:outbox_outboundemail_changelist"), {"q": ADDRESS, "status__exact": "queued"}
    )

    assert list(failed.context["cl"].result_list) == []
    assert list(queued.context["cl"].result_list) == [email]


# serialized_rollback: the rows of data migrations (the role groups) come back for the next test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_encrypts_existing_rows_and_back():
    from django.db.migrations.executor import MigrationExecutor

    email = _queue(enqueue=False)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("outbox")

    MigrationExecutor(connection).migrate([("outbox", "0003_reduced_emails_to_hash")])
    to, subject, text, html, error, _hash = raw_columns(email)
    assert (to, subject, text, html, error) == (ADDRESS, SUBJECT, TEXT, HTML, "")
    with connection.cursor() as cursor:  # a row queued before the hash was set when queued
        cursor.execute("UPDATE outbox_outboundemail SET to_hash = '' WHERE id = %s", [email.pk])
    MigrationExecutor(connection).migrate(latest)

    assert ADDRESS not in raw_outbox()
    assert SUBJECT not in raw_outbox()
    again = OutboundEmail.objects.get(pk=email.pk)
    assert (again.to, again.subject, again.body_text, again.body_html) == (
        ADDRESS,
        SUBJECT,
        TEXT,
        HTML,
    )
    assert again.to_hash == services.address_hash(ADDRESS)


def test_reduction_erasure_and_requeue_get_past_an_undecryptable_row(settings):
    from datetime import timedelta

    from django.utils import timezone

    readable = _queue(enqueue=False, dedupe_key="k:readable")
    broken = _queue(enqueue=False, dedupe_key="k:broken")
    _under_another_key(broken, settings)
    long_ago = timezone.now() - timedelta(hours=settings.OUTBOX_BODY_RETENTION_HOURS + 1)
    OutboundEmail.objects.update(status="failed", updated_at=long_ago)

    assert services.requeue_failed(email_ids=[readable.pk, broken.pk]) == 1
    OutboundEmail.objects.update(status="failed", updated_at=long_ago)
    assert services.reduce_sent_emails() == 2
    assert services.forget_recipient(ADDRESS) == 2

    for row in OutboundEmail.objects.all():
        assert (row.to, row.body_text, row.last_error, row.to_hash) == ("", "", "", "")
