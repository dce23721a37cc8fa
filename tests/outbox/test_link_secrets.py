"""Stored emails hold no live link (issue 11, item 8): the secrets of their links are kept
apart, encrypted, put back only into the message sent, and erased once it is sent or has
failed for good."""

import pytest
from django.conf import settings
from django.urls import reverse

from core import crypto
from letters import tokens
from outbox import services
from outbox.link_secrets import seal
from outbox.models import OutboundEmail
from outbox.rendering import RenderedEmail
from tests.emails import html_body, text_body

pytestmark = pytest.mark.django_db

TOKEN = tokens.make_signature_token(signature_id=12345, purpose=tokens.MANAGE)


def _manage_url(token: str = TOKEN) -> str:
    return settings.SITE_URL + reverse("letters:signature-manage", kwargs={"token": token})


def _queue(key: str = "links:1", *, text: str | None = None) -> OutboundEmail:
    url = _manage_url()
    return services.queue_email(
        kind="test",
        to="signer@ngo.example.org",
        context={},
        dedupe_key=key,
        enqueue=False,
        rendered=RenderedEmail(
            subject="Your signature",
            text=text
            if text is not None
            else f"Manage it:\n{url}\n\nThe letter: {settings.SITE_URL}/letters/x/\n",
            html=f'<p><a href="{url}">Manage</a></p>',
        ),
    )


def test_a_queued_email_is_stored_without_its_link_secret():
    email = _queue()
    stored = OutboundEmail.objects.filter(pk=email.pk).values_list(
        "subject", "body_text", "body_html", "link_secrets"
    )[0]

    assert not any(TOKEN in column for column in stored)
    assert "/letters/signatures/manage/{{secret:0}}/" in email.body_text
    assert 'href="http://127.0.0.1:8000/letters/signatures/manage/{{secret:0}}/"' in email.body_html
    assert f"{settings.SITE_URL}/letters/x/" in email.body_text  # a link without a secret stays
    assert crypto.decrypt_str(email.link_secrets) == f'["{TOKEN}"]'
    assert services.live_bodies(email).text.count(_manage_url()) == 1


def test_an_email_without_secret_links_has_no_secrets():
    email = _queue(text=f"The letter: {settings.SITE_URL}/letters/x/\n")
    # the HTML part still has the manage link
    assert crypto.decrypt_str(email.link_secrets) == f'["{TOKEN}"]'
    plain = services.queue_email(
        kind="test",
        to="a@ngo.example.org",
        context={},
        dedupe_key="links:plain",
        enqueue=False,
        rendered=RenderedEmail(subject="s", text=f"{settings.SITE_URL}/letters/x/\n", html=""),
    )
    assert plain.link_secrets == ""


def test_the_message_sent_has_the_links_and_the_row_forgets_them(smtp_server):
    email = _queue()

    assert services.deliver(email_id=email.pk).status == "sent"

    [message] = smtp_server.messages
    assert _manage_url() in text_body(message)
    assert f'href="{_manage_url()}"' in html_body(message)
    email.refresh_from_db()
    assert email.link_secrets == ""
    assert TOKEN not in email.body_text + email.body_html


def test_a_retry_keeps_the_secrets_and_a_final_failure_erases_them(smtp_server):
    email = _queue()
    smtp_server.replies = ["451 try later"]
    assert services.deliver(email_id=email.pk).status == "retry"
    email.refresh_from_db()
    assert email.link_secrets != ""

    smtp_server.replies = ["550 no such user"]
    assert services.deliver(email_id=email.pk).status == "failed"
    email.refresh_from_db()
    assert email.link_secrets == ""


def test_a_failed_email_with_links_is_not_requeued_but_one_without_is(smtp_server):
    with_links = _queue("links:a")
    without = services.queue_email(
        kind="test",
        to="a@ngo.example.org",
        context={},
        dedupe_key="links:b",
        enqueue=False,
        rendered=RenderedEmail(subject="s", text="No links.\n", html=""),
    )
    smtp_server.replies = ["550 no", "550 no"]
    services.deliver(email_id=with_links.pk)
    services.deliver(email_id=without.pk)

    assert services.requeue_failed(email_ids=[with_links.pk, without.pk]) == 1

    with_links.refresh_from_db()
    without.refresh_from_db()
    assert (with_links.status, without.status) == ("failed", "queued")


def test_secrets_under_a_dropped_key_fail_the_email_for_good(smtp_server, settings):
    email = _queue()
    settings.FIELD_ENCRYPTION_KEYS = [crypto.key_from_secret_key("another key")]

    assert services.deliver(email_id=email.pk).status == "failed"

    # The whole row was stored under the dropped key (issue 12: the outbox is encrypted), so
    # it fails before its secrets are even read; its error is written under the new key.
    failed = OutboundEmail.objects.only("status", "last_error").get(pk=email.pk)
    assert failed.status == "failed"
    assert "DecryptionError" in failed.last_error
    assert smtp_server.messages == []


def test_a_placeholder_in_the_text_itself_is_never_filled():
    email = _queue(text=f"A title with {{{{secret:0}}}} in it.\n{_manage_url()}\n")

    sent = services.live_bodies(email).text

    assert sent.startswith("A title with {{ secret:0}} in it.")
    assert _manage_url() in sent


@pytest.mark.parametrize(
    ("route", "kwargs"),
    [
        ("letters:sign-invitation", {"secret": "s" * 43}),
        ("letters:invitation-decline", {"secret": "s" * 43}),
        ("organisations:invitation-accept", {"secret": "s" * 43}),
        ("account_confirm_email", {"key": "k" * 40}),
        ("account_reset_password_from_key", {"uidb36": "3", "key": "abc-" + "k" * 32}),
        ("letters:signature-confirm", {"token": TOKEN}),
        ("letters:signature-widen", {"token": TOKEN}),
    ],
)
def test_every_kind_of_secret_link_is_sealed(route, kwargs):
    url = settings.SITE_URL + reverse(route, kwargs=kwargs)
    secret = kwargs.get("secret") or kwargs.get("key") or kwargs["token"]

    sealed, secrets = seal(RenderedEmail(subject="s", text=f"Open: {url}.\n", html=""))

    assert secrets == [secret]
    assert secret not in sealed.text


def test_the_admin_shows_the_placeholder_body(client, superuser):
    email = _queue()
    client.force_login(superuser)

    page = client.get(reverse("admin:outbox_outboundemail_change", args=[email.pk]))

    assert page.status_code == 200
    assert TOKEN not in page.content.decode()
    assert "{{secret:0}}" in page.content.decode()
