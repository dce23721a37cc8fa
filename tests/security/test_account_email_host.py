"""Issue 11: allauth's emails (greeting, links) name SITE_URL, never the request's Host."""

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

SITE = "https://undersigned.example.org"
FORGED = "phish.example.net"


@pytest.fixture
def forged_host(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = [FORGED, "testserver"]


def post(client, url_name: str, data: dict):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse(url_name), data, HTTP_HOST=FORGED)


@pytest.mark.django_db
def test_a_password_reset_email_never_names_the_requests_host(client, signer, forged_host):
    post(client, "account_reset_password", {"email": signer.email})

    assert len(mail.outbox) == 1
    body = mail.outbox[0].body + "".join(a[0] for a in mail.outbox[0].alternatives)
    assert FORGED not in body
    assert SITE + "/accounts/password/reset/key/" in body
    assert "undersigned.example.org" in body


@pytest.mark.django_db
def test_the_unknown_account_email_never_names_the_requests_host(client, forged_host):
    post(client, "account_reset_password", {"email": "nobody@ngo.example.org"})

    assert len(mail.outbox) == 1
    body = mail.outbox[0].body + "".join(a[0] for a in mail.outbox[0].alternatives)
    assert FORGED not in body
    assert SITE + "/accounts/signup/" in body


@pytest.mark.django_db
def test_the_signup_confirmation_never_names_the_requests_host(client, forged_host):
    post(
        client,
        "account_signup",
        {
            "email": "new@ngo.example.org",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
            "name": "New Person",
        },
    )

    assert mail.outbox, "the signup sent no confirmation"
    for message in mail.outbox:
        body = message.body + "".join(a[0] for a in message.alternatives)
        assert FORGED not in body
        assert FORGED not in message.subject
