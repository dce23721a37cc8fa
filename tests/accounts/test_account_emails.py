"""allauth's emails go through the outbox like every other email: a row written in the request,
with a Message-ID derived from its dedupe key, sent after commit by the worker (never by the
request), retried when the SMTP server says 451, and delivered once."""

import smtplib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from outbox import services
from outbox.models import OutboundEmail
from tests.accounts.conftest import link_in
from tests.accounts.test_services import text_body
from tests.conftest import wait_for
from tests.emails import as_sent

SITE_URL = "https://undersigned.example.org"
NEW_EMAIL = "new.signer@ngo.example.org"


def sign_up(client, email: str = NEW_EMAIL):
    return client.post(
        reverse("account_signup"),
        {
            "name": "Nima Sherpa",
            "email": email,
            "password1": "correct-horse-9",
            "password2": "correct-horse-9",
        },
    )


def request_reset(client, email: str):
    return client.post(reverse("account_reset_password"), {"email": email})


FLOWS = {
    # flow: (what the person does, the email's kind, the link it carries)
    "sign-up": (sign_up, "account/email/email_confirmation_signup", "/accounts/confirm-email/"),
    "password reset": (
        lambda client: request_reset(client, "signer@ngo.example.org"),
        "account/email/password_reset_key",
        "/accounts/password/reset/key/",
    ),
}


@pytest.fixture
def clock(monkeypatch):
    """The time as Django and the password-reset tokens see it, set by the test."""

    class Clock:
        now = datetime(2025, 3, 10, 9, 30, 0, tzinfo=UTC)

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: Clock.now.replace(tzinfo=None)
    )
    return Clock


@pytest.mark.django_db
@pytest.mark.parametrize("flow", FLOWS)
def test_the_request_queues_the_email_and_sends_nothing_before_commit(
    flow, client, signer, settings, django_capture_on_commit_callbacks
):
    # Given links pointing at the public site
    settings.SITE_URL = SITE_URL
    act, kind, link_path = FLOWS[flow]

    # When the person acts, in a request whose transaction has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = act(client)

    # Then the email is a queued row with a Message-ID derived from its dedupe key, the
    # handing-over to the worker waits for the commit, and nothing was sent
    assert response.status_code == 302
    email = OutboundEmail.objects.get()
    assert (email.kind, email.status, email.attempts) == (kind, "queued", 0)
    assert email.dedupe_key.startswith(f"{kind}:")
    assert email.message_id == services.message_id_for(email.dedupe_key)
    assert link_in(as_sent(email).text, link_path).startswith(SITE_URL + link_path)
    assert len(callbacks) == 1
    assert mail.outbox == []

    # When the transaction commits
    callbacks[0]()

    # Then the outbox sends it (Celery runs in-process in these tests)
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [email.message_id]
    email.refresh_from_db()
    assert email.status == "sent"


@pytest.mark.services
@pytest.mark.parametrize("flow", FLOWS)
def test_the_worker_sends_it_over_smtp_retrying_a_451_and_it_arrives_once(
    flow, client, signer, settings, celery_worker, smtp_server, monkeypatch
):
    # Given a real worker, an SMTP server that first answers "451 try again", short backoff
    settings.SITE_URL = SITE_URL
    act, kind, link_path = FLOWS[flow]
    monkeypatch.setattr(services, "BASE_DELAY", 1)  # seconds, to keep the test short
    smtp_server.replies = ["451 4.3.0 Try again later"]
    talking = []  # the threads that spoke SMTP
    real_sendmail = smtplib.SMTP.sendmail

    def recording_sendmail(self, *args, **kwargs):
        talking.append(threading.current_thread())
        return real_sendmail(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", recording_sendmail)

    # When the person acts
    response = act(client)

    # Then the request wrote the row and returned
    assert response.status_code == 302
    email = OutboundEmail.objects.get()
    assert email.kind == kind

    # And the worker sends it: refused once with 451, then delivered once
    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", message="sent")
    email.refresh_from_db()
    assert (email.attempts, smtp_server.refused, len(smtp_server.messages)) == (2, 1, 1)
    assert "451" not in email.last_error  # cleared once sent
    [message] = smtp_server.messages
    assert message["Message-ID"] == email.message_id == services.message_id_for(email.dedupe_key)
    assert message["To"] == email.to
    assert link_in(text_body(message), link_path).startswith(SITE_URL + link_path)
    # Both SMTP conversations were the worker's, none the request's (this thread's)
    assert len(talking) == 2
    assert threading.current_thread() not in talking
    # And nothing is left for the sweeper to send again
    assert services.claim_overdue(now=timezone.now() + timedelta(hours=1)) == []


@pytest.mark.django_db
def test_a_double_submitted_reset_queues_one_email_and_each_new_link_its_own(client, signer, clock):
    # Given a password reset requested twice in the same second (a double click)
    request_reset(client, signer.email)
    request_reset(client, signer.email)

    # Then one email is queued: the same link to the same address
    assert OutboundEmail.objects.count() == 1

    # When it is requested again a few seconds later (a new link)
    clock.now += timedelta(seconds=5)
    request_reset(client, signer.email)

    # Then that request gets an email of its own, with its own link and Message-ID
    first, second = OutboundEmail.objects.order_by("pk")
    assert (first.kind, second.kind) == ("account/email/password_reset_key",) * 2
    assert as_sent(first).text != as_sent(second).text
    assert len({first.message_id, second.message_id}) == 2


@pytest.mark.django_db
def test_an_email_without_a_link_is_queued_once_a_minute_at_most(client, clock):
    # Given a reset asked for an address without an account (the email says so, no link)
    unknown = "nobody@unknown.example.org"
    request_reset(client, unknown)
    clock.now += timedelta(seconds=30)
    request_reset(client, unknown)

    # Then the second, identical email in the same minute is the same row
    assert OutboundEmail.objects.count() == 1

    # When it is asked again in the next minute
    clock.now += timedelta(seconds=40)
    request_reset(client, unknown)

    # Then that one is sent too
    assert (
        list(OutboundEmail.objects.values_list("kind", "to"))
        == [("account/email/unknown_account", unknown)] * 2
    )


@pytest.mark.django_db
def test_signing_up_with_a_taken_address_queues_the_notice_for_its_owner(client, signer):
    sign_up(client, email=signer.email)

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to) == ("account/email/account_already_exists", signer.email)
    assert email.subject == "[Undersigned] An account already exists for this address"
