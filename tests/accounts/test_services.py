"""The real services behind email and tasks: an SMTP server (aiosmtpd) and a Celery worker on
Redis. Without Redis the worker test skips with a reason; with REQUIRE_SERVICES=1 it fails."""

import pytest
from django.urls import reverse

from tests.accounts.conftest import link_in
from tests.conftest import skip_or_fail
from tests.emails import text_body


@pytest.mark.django_db
def test_verification_email_is_delivered_over_smtp(
    client, smtp_server, settings, django_capture_on_commit_callbacks
):
    # Given a real SMTP server and links pointing at the public site
    settings.SITE_URL = "https://undersigned.example.org"
    email = "smtp.signer@ngo.example.org"

    # When someone signs up (the outbox sends once the request's transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "name": "Nima Sherpa",
                "email": email,
                "password1": "correct-horse-9",
                "password2": "correct-horse-9",
            },
        )

    # Then exactly one message reached the server, addressed to them, with a confirmation
    # link to the public site
    assert response.status_code == 302
    assert smtp_server.envelopes == [("noreply@undersigned.test", [email])]
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == email
    assert message["Subject"] == "[Undersigned] Confirm your email address"
    link = link_in(text_body(message), "/accounts/confirm-email/")
    assert link.startswith("https://undersigned.example.org/accounts/confirm-email/")


@pytest.mark.services
def test_celery_round_trip_through_a_real_worker(celery_worker):
    from config.celery import ping

    # When a task is queued on Redis, then the worker runs it and stores its result
    assert ping.delay().get(timeout=10) == "pong"


def test_skip_or_fail_skips_without_require_services(monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)

    with pytest.raises(pytest.skip.Exception, match="^Redis is down$"):
        skip_or_fail("Redis is down")


def test_skip_or_fail_fails_with_require_services(monkeypatch):
    monkeypatch.setenv("REQUIRE_SERVICES", "1")

    with pytest.raises(pytest.fail.Exception, match="^REQUIRE_SERVICES=1 but Redis is down$"):
        skip_or_fail("Redis is down")


def test_redis_url_fixture_skips_with_a_reason_without_redis_url(monkeypatch, request):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)

    with pytest.raises(pytest.skip.Exception, match="REDIS_URL is not set"):
        request.getfixturevalue("redis_url")
