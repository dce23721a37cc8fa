"""Sign-up with mandatory email verification: the account cannot log in before the address
is confirmed, and the confirmation link only confirms on POST (mail scanners open links)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.models import User
from outbox.models import OutboundEmail
from tests.accounts.conftest import is_logged_in, link_in, log_in

EMAIL = "new.signer@ngo.example.org"
PASSWORD = "correct-horse-battery-staple"


def sign_up(client, email: str = EMAIL, password: str = PASSWORD):
    # allauth's emails go through the outbox: sent once the request's transaction commits
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("account_signup"),
            {"name": "Nima Sherpa", "email": email, "password1": password, "password2": password},
        )


@pytest.mark.django_db
def test_signup_sends_one_verification_email_and_does_not_log_in(client, settings):
    # Given links in emails point at the public site, whatever Host the request carried
    settings.SITE_URL = "https://undersigned.example.org"

    # When someone signs up
    response = sign_up(client)

    # Then they are told to check their inbox, are not logged in, and got exactly one email
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not is_logged_in(client)
    user = User.objects.get(email=EMAIL)
    assert EmailAddress.objects.filter(user=user, email=EMAIL, verified=False).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    assert message.subject == "[Undersigned] Confirm your email address"
    link = link_in(message.body, "/accounts/confirm-email/")
    assert link.startswith("https://undersigned.example.org/accounts/confirm-email/")


@pytest.mark.django_db
def test_login_before_confirmation_is_refused(client):
    # Given an account whose address is not confirmed yet
    sign_up(client)
    client.logout()

    # When its owner logs in with the right password
    response = log_in(client, EMAIL, PASSWORD)

    # Then they are sent to "check your email" instead of being logged in, and no second
    # email goes out within allauth's resend rate limit (1 per 3 minutes per address)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not is_logged_in(client)
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.count() == 1  # none queued either


@pytest.mark.django_db
def test_confirmation_link_shows_a_page_on_get_and_confirms_on_post(client):
    # Given a fresh sign-up and its verification email
    sign_up(client)
    link = link_in(mail.outbox[0].body, "/accounts/confirm-email/")
    path = link.split("://", 1)[1].split("/", 1)[1]
    path = "/" + path

    # When the link is opened (a GET, as a mail scanner would)
    page = client.get(path)

    # Then a page with a Confirm button is shown, and nothing is confirmed yet
    assert page.status_code == 200
    assert "account/email_confirm.html" in [t.name for t in page.templates]
    assert b"Confirm Email Address" in page.content
    # (the form's key is signed afresh with a timestamp, so it may differ from the link's)
    assert re.search(
        rb'<form method="post" action="/accounts/confirm-email/[\w:-]+/"', page.content
    )
    assert EmailAddress.objects.get(email=EMAIL).verified is False

    # When the button is pressed
    response = client.post(path)

    # Then the address is verified and the person is asked to log in
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert EmailAddress.objects.get(email=EMAIL).verified is True

    # And logging in now succeeds
    login = log_in(client, EMAIL, PASSWORD)
    assert login.status_code == 302
    assert login.url == reverse("home")
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == User.objects.get(email=EMAIL).pk


@pytest.mark.django_db
def test_a_forged_confirmation_key_confirms_nothing(client):
    # Given an unconfirmed account
    sign_up(client)
    path = reverse("account_confirm_email", args=["not-a-real-key"])

    # When a made-up link is opened
    page = client.get(path)

    # Then a clear page says so, with a way to ask for a new link
    assert page.status_code == 200
    assert b"This email confirmation link expired or is invalid." in page.content

    # And posting to it is not found, and the address stays unconfirmed
    response = client.post(path)
    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]
    assert EmailAddress.objects.get(email=EMAIL).verified is False


@pytest.mark.django_db
def test_signup_with_an_existing_address_creates_no_second_account(client, signer):
    # Given an existing account (tests/conftest.py: signer@ngo.example.org)

    # When someone signs up with that address
    response = sign_up(client, email=signer.email)

    # Then the response looks exactly like a normal sign-up (no enumeration) …
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    # … no account is added, and the owner is told by email instead
    assert User.objects.filter(email__iexact=signer.email).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [signer.email]
    assert "/accounts/confirm-email/" not in mail.outbox[0].body
