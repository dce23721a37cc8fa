"""allauth's rate limits on login (settings.ACCOUNT_RATE_LIMITS: login_failed 5 per 5 minutes
per client address and account; tests/security/test_login_throttle.py has the rest). They need a
real cache: local memory in tests, Redis in the full stack."""

import pytest
from django.urls import reverse

from tests.accounts.conftest import is_logged_in, log_in
from tests.factories import PASSWORD

REFUSAL = b"Too many failed login attempts. Try again later."
WRONG = b"The email address and/or password you specified are not correct."


@pytest.mark.django_db
def test_repeated_failed_logins_are_refused_with_a_clear_message(client, signer):
    # Given five failed attempts on one address, each answered with the usual error
    for _attempt in range(5):
        response = log_in(client, signer.email, "not-the-password")
        assert response.status_code == 200
        assert WRONG in response.content
        assert REFUSAL not in response.content

    # When a sixth attempt comes, even with the right password
    response = log_in(client, signer.email, PASSWORD)

    # Then it is refused, 429, with a message saying why, and nobody is logged in
    assert response.status_code == 429
    assert REFUSAL in response.content
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_the_limit_is_per_address(client, signer, org_admin):
    # Given one address locked out by failed attempts
    for _attempt in range(6):
        log_in(client, signer.email, "not-the-password")

    # When another person logs in from the same place
    response = log_in(client, org_admin.email, PASSWORD)

    # Then they are let in
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_logged_in(client)
