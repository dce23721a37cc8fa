"""Fixtures for the account tests: staff users without an authenticator, TOTP codes, links
found in emails. allauth keeps its rate limits and used TOTP codes in the cache, which every
test has of its own (tests/conftest.py `fresh_cache`).
"""

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import COORDINATORS, MODERATORS
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    """Accept the codes of the neighbouring 30-second periods as well, so that a test that
    computes a code a moment before a period ends does not fail on the clock. Codes are
    still computed from the real secret and checked by allauth's real validation."""
    settings.MFA_TOTP_TOLERANCE = 1


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for this secret.

    A moment before a period ends, it waits for the next one, as a person reading the app
    would: the tolerance above covers only the tests under tests/accounts/, and a code
    computed at hh:mm:59.99 and checked at hh:mm:00.00 is refused with a tolerance of 0
    (the production setting; tests/security failed so in CI once)."""
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def link_in(body: str, path_prefix: str) -> str:
    """The one absolute link in an email body whose path starts with path_prefix."""
    links = re.findall(rf"https?://[^\s/]+{re.escape(path_prefix)}\S*", body)
    assert len(links) == 1, f"expected one link to {path_prefix} in:\n{body}"
    return links[0]


def log_in(client, email: str, password: str = PASSWORD):
    """Post the real login form."""
    return client.post(reverse("account_login"), {"login": email, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


STAFF_KINDS = ("coordinator", "moderator", "is_staff")


def make_staff_without_2fa(kind: str, email: str):
    """A user with staff rights of the given kind and no authenticator yet."""
    user = UserFactory(email=email, is_staff=(kind == "is_staff"))
    if kind == "coordinator":
        user.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])
    elif kind == "moderator":
        user.groups.add(Group.objects.get_or_create(name=MODERATORS)[0])
    return user


@pytest.fixture(params=STAFF_KINDS)
def staff_without_2fa(request, db):
    return make_staff_without_2fa(request.param, f"{request.param}-no2fa@example.org")
