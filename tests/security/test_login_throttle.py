"""Issue 11: failed logins are throttled per account *and* client address, so nobody can keep
a known staff address locked out by typing wrong passwords from their own machine; the holder
of the right password and second factor always gets in; throttled answers are 429.

Addresses are set per request (REMOTE_ADDR), as a reverse proxy would hand them over."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import is_logged_in, totp_code
from tests.accounts.test_staff_two_factor import enrol_totp_fresh
from tests.factories import PASSWORD, UserFactory, make_moderator

ATTACKER = "198.51.100.7"
OWNER = "203.0.113.20"
REFUSAL = b"Too many failed login attempts. Try again later."


def log_in_from(client: Client, address: str, email: str, password: str):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address
    )


def fail_from(address: str, email: str, times: int) -> None:
    attacker = Client()
    for _attempt in range(times):
        log_in_from(attacker, address, email, "not-the-password")


@pytest.mark.django_db
def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out():
    # Given a staff address that someone hammers with wrong passwords from their machine
    moderator = make_moderator(email="mod@undersigned.example.org")
    secret = enrol_totp_fresh(moderator)
    fail_from(ATTACKER, moderator.email, 12)

    # When the owner logs in from their own address with the right password and code
    owner = Client()
    response = log_in_from(owner, OWNER, moderator.email, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    response = owner.post(
        reverse("mfa_authenticate"), {"code": totp_code(secret)}, REMOTE_ADDR=OWNER
    )

    # Then they are logged in
    assert response.status_code == 302
    assert is_logged_in(owner)


@pytest.mark.django_db
def test_the_throttled_address_is_answered_429_even_with_the_right_password():
    # Given five failures for one account from one address
    user = UserFactory(email="someone@ngo.example.org")
    client = Client()
    for _attempt in range(5):
        response = log_in_from(client, ATTACKER, user.email, "not-the-password")
        assert response.status_code == 200

    # When that address tries again, even with the right password
    response = log_in_from(client, ATTACKER, user.email, PASSWORD)

    # Then it is told to wait, with the 429 status a client or proxy understands
    assert response.status_code == 429
    assert REFUSAL in response.content
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_a_distributed_guess_stops_the_password_alone_but_not_password_and_code():
    # Given an account guessed at from many addresses, a few tries each
    moderator = make_moderator(email="mod@undersigned.example.org")
    secret = enrol_totp_fresh(moderator)
    plain = UserFactory(email="plain@ngo.example.org")
    for n in range(40):
        fail_from(f"192.0.2.{n + 1}", moderator.email, 1)
        fail_from(f"192.0.2.{n + 1}", plain.email, 1)

    # When an account without a second factor then gets its right password from a new address
    refused = log_in_from(Client(), OWNER, plain.email, PASSWORD)

    # Then the password alone is not enough while the account is under attack
    assert refused.status_code == 429

    # But the owner of an account with a second factor gets in with password and code
    owner = Client()
    response = log_in_from(owner, OWNER, moderator.email, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    owner.post(reverse("mfa_authenticate"), {"code": totp_code(secret)}, REMOTE_ADDR=OWNER)
    assert is_logged_in(owner)
