"""Password reset: request → email → set a new password → log in with it. The request page
answers the same whether or not an account exists (no account enumeration)."""

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from tests.accounts.conftest import is_logged_in, link_in, log_in
from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase-7"


def request_reset(client, email: str):
    # allauth's emails go through the outbox: sent once the request's transaction commits
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("account_reset_password"), {"email": email})


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.django_db
def test_password_reset_round_trip(client, signer, settings):
    # Given a signer who forgot their password, and links pointing at the public site
    settings.SITE_URL = "https://undersigned.example.org"

    # When they ask for a reset
    response = request_reset(client, signer.email)

    # Then they are told to check their email, which holds one reset link to the public site
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [signer.email]
    assert mail.outbox[0].subject == "[Undersigned] Reset your password"
    link = link_in(mail.outbox[0].body, "/accounts/password/reset/key/")
    assert link.startswith("https://undersigned.example.org/accounts/password/reset/key/")

    # When they open the link: allauth moves the key out of the URL into the session
    opened = client.get(path_of(link))
    assert opened.status_code == 302
    assert opened.url.endswith("-set-password/")
    form = client.get(opened.url)
    assert form.status_code == 200
    assert b'name="password1"' in form.content

    # And set a new password
    done = client.post(opened.url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # Then the password is changed and they are not logged in by the reset itself
    assert done.status_code == 302
    assert done.url == reverse("account_reset_password_from_key_done")
    assert not is_logged_in(client)
    signer.refresh_from_db()
    assert signer.check_password(NEW_PASSWORD)

    # And the new password logs them in, the old one no longer does
    assert log_in(client, signer.email, PASSWORD).status_code == 200
    assert not is_logged_in(client)
    response = log_in(client, signer.email, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_logged_in(client)


@pytest.mark.django_db
def test_a_used_reset_link_cannot_be_used_again(client, signer):
    # Given a reset link that has been used once
    request_reset(client, signer.email)
    link = link_in(mail.outbox[0].body, "/accounts/password/reset/key/")
    opened = client.get(path_of(link))
    client.post(opened.url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # When it is opened again
    response = client.get(path_of(link))

    # Then it is refused with a clear page and the password stays as set
    assert response.status_code == 200
    assert b"The password reset link was invalid" in response.content
    signer.refresh_from_db()
    assert signer.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_reset_request_does_not_reveal_whether_an_account_exists(client, signer):
    # Given one address with an account and one without
    unknown = "nobody@unknown.example.org"

    # When a reset is requested for each
    known_response = request_reset(client, signer.email)
    known_page = client.get(known_response.url)
    unknown_response = request_reset(client, unknown)
    unknown_page = client.get(unknown_response.url)

    # Then both answers are the same redirect to the same page
    assert (known_response.status_code, known_response.url) == (
        unknown_response.status_code,
        unknown_response.url,
    )
    assert known_page.status_code == unknown_page.status_code == 200
    assert known_page.content == unknown_page.content

    # And the unknown address gets a note without any reset link
    assert [m.to for m in mail.outbox] == [[signer.email], [unknown]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


@pytest.mark.django_db
@pytest.mark.parametrize("known", [True, False], ids=["account", "no-account"])
def test_account_emails_speak_in_the_products_voice(client, signer, settings, known):
    # Stock allauth ("Hello from 127.0.0.1:8101!", "Thank you for using …") reads as phishing
    settings.SITE_URL = "https://undersigned.example.org"
    address = signer.email if known else "nobody@example.net"

    request_reset(client, address)

    [message] = mail.outbox
    body = message.body
    assert "Hello from" not in body
    assert "Thank you for using" not in body
    assert "testserver" not in body + message.subject  # never the request's host
    assert body.startswith("Hello,\n")
    assert "your account on Undersigned, the site for joint letters" in body
    assert "We never ask for your password by email." in body
    assert body.rstrip().endswith("Undersigned · https://undersigned.example.org")
    assert "  " not in message.subject
    expected = (
        "[Undersigned] Reset your password"
        if known
        else "[Undersigned] Password reset: no account for this address"
    )
    assert message.subject == expected


@pytest.mark.django_db
def test_the_login_page_says_log_in_and_keep_me_logged_in(client):
    page = client.get(reverse("account_login")).content.decode()

    assert "Sign In" not in page
    assert "Remember Me" not in page
    assert "Keep me logged in on this device" in page
    assert "Keep me logged in on this device:" not in page
    assert ">Log in<" in page.replace("\n", "").replace("  ", "")
