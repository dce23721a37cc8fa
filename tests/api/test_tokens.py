"""Personal API tokens: created and revoked by their owner, stored as a SHA-256 only, shown
once; staff create theirs only from a session that passed two-factor authentication."""

import datetime as dt
import hashlib
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.roles import COORDINATORS
from api import services
from api.models import ApiToken
from audit.actions import Action
from audit.models import AuditEvent
from core.errors import DomainError, TransitionError
from tests.accounts.conftest import make_staff_without_2fa, totp_code
from tests.factories import PASSWORD, UserFactory, enrol_totp, make_coordinator

from .conftest import auth

pytestmark = pytest.mark.django_db


# --- Services: every legal and illegal transition --------------------------------------------


def test_creating_a_token_keeps_only_its_hash_and_records_it(signer):
    new = services.create_token(user=signer, name="CRM sync")

    token = ApiToken.objects.get()
    assert new.secret.startswith("und_")
    assert len(new.secret) >= 40
    assert token.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert token.prefix == new.secret[:12]
    assert (token.name, token.user, token.revoked_at, token.expires_at) == (
        "CRM sync",
        signer,
        None,
        None,
    )
    event = AuditEvent.objects.get(action=Action.API_TOKEN_CREATED)
    assert (event.actor, event.data) == (signer, {"name": "CRM sync", "prefix": token.prefix})


def test_the_secret_is_nowhere_in_the_database(signer):
    secret = services.create_token(user=signer, name="CRM sync").secret

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        rows = cursor.fetchall()
        cursor.execute("SELECT data::text FROM audit_auditevent")
        events = cursor.fetchall()
    dumped = repr(rows) + repr(events)
    assert secret not in dumped
    assert secret[12:] not in dumped  # not even the part after the prefix shown


@pytest.mark.parametrize(
    ("name", "expires_at", "message"),
    [
        ("   ", None, "Give the token a name."),
        ("x", timezone.now() - dt.timedelta(days=1), "The expiry date must be in the future."),
    ],
)
def test_a_token_without_a_name_or_expired_already_is_refused(signer, name, expires_at, message):
    with pytest.raises(DomainError, match=message):
        services.create_token(user=signer, name=name, expires_at=expires_at)

    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.API_TOKEN_CREATED).exists()


def test_at_most_twenty_active_tokens(signer):
    for n in range(services.MAX_TOKENS_PER_USER):
        services.create_token(user=signer, name=f"t{n}")

    with pytest.raises(DomainError, match="20 active tokens"):
        services.create_token(user=signer, name="one more")

    assert ApiToken.objects.count() == services.MAX_TOKENS_PER_USER
    # A revoked one frees its place
    services.revoke_token(token=ApiToken.objects.first(), actor=signer)
    services.create_token(user=signer, name="one more")


def test_revoking_a_token_records_it_and_stops_it(client, signer):
    new = services.create_token(user=signer, name="CRM sync")
    assert client.get(reverse("api:my-letters"), **auth(new.secret)).status_code == 200

    services.revoke_token(token=new.token, actor=signer)

    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKED, actor=signer).count() == 1
    assert client.get(reverse("api:my-letters"), **auth(new.secret)).status_code == 401


def test_a_token_is_revoked_once(signer):
    new = services.create_token(user=signer, name="CRM sync")
    services.revoke_token(token=new.token, actor=signer)

    with pytest.raises(TransitionError):
        services.revoke_token(token=ApiToken.objects.get(), actor=signer)

    assert AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKED).count() == 1


def test_nobody_revokes_someone_elses_token(signer, moderator):
    new = services.create_token(user=signer, name="CRM sync")

    with pytest.raises(DomainError):
        services.revoke_token(token=new.token, actor=moderator)

    assert ApiToken.objects.get().revoked_at is None
    assert not AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKED).exists()


def test_a_use_is_noted_at_most_once_a_minute(client, signer):
    new = services.create_token(user=signer, name="CRM sync")
    client.get(reverse("api:letters"), **auth(new.secret))
    first = ApiToken.objects.get().last_used_at
    assert first is not None

    client.get(reverse("api:letters"), **auth(new.secret))
    assert ApiToken.objects.get().last_used_at == first

    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    client.get(reverse("api:letters"), **auth(new.secret))
    assert ApiToken.objects.get().last_used_at > first


def test_an_inactive_users_token_is_refused(client, signer):
    new = services.create_token(user=signer, name="CRM sync")
    type(signer).objects.filter(pk=signer.pk).update(is_active=False)

    assert client.get(reverse("api:letters"), **auth(new.secret)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Token"])
def test_a_malformed_authorization_header_is_refused(client, header):
    response = client.get(reverse("api:letters"), HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


def test_a_session_is_not_an_api_credential(client, owner, letters):
    """The API reads no cookie: a logged-in browser is anonymous to it (no CSRF surface)."""
    client.force_login(owner)

    assert client.get(reverse("api:my-letters")).status_code == 401
    assert client.get(reverse("api:signatures", args=[letters.draft.slug])).status_code == 401


# --- The account page ----------------------------------------------------------------------------


def _secret_on(page: str) -> str:
    found = re.findall(r'value="(und_[^"]+)"', page)
    assert len(found) == 1, page
    return found[0]


def test_the_page_creates_a_token_and_shows_its_secret_once(client, signer):
    client.force_login(signer)

    created = client.post(reverse("api-tokens"), {"name": "CRM sync", "expires_in": "30"})

    assert created.status_code == 200
    assert created["Cache-Control"] == "private, no-store"
    secret = _secret_on(created.content.decode())
    token = ApiToken.objects.get()
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(
        minutes=1
    )
    # It works, and the page never shows it again: only its prefix
    assert client.get(reverse("api:my-letters"), **auth(secret)).status_code == 200
    again = client.get(reverse("api-tokens")).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert "CRM sync" in again


def test_the_page_refuses_a_token_without_a_name(client, signer):
    client.force_login(signer)

    response = client.post(reverse("api-tokens"), {"name": "", "expires_in": ""})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_page_revokes_the_users_own_token_only(client, signer, moderator):
    mine = services.create_token(user=signer, name="mine").token
    theirs = services.create_token(user=moderator, name="theirs").token
    client.force_login(signer)

    refused = client.post(reverse("api-token-revoke", args=[theirs.pk]))
    revoked = client.post(reverse("api-token-revoke", args=[mine.pk]))

    assert refused.status_code == 404
    assert revoked.status_code == 302
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
    assert client.get(reverse("api-tokens")).content.decode().count("Revoked on") == 1


def test_the_page_needs_an_account(client):
    response = client.get(reverse("api-tokens"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_staff_without_two_factor_are_sent_to_enrol_first(client, db):
    staff = make_staff_without_2fa("coordinator", "new-coordinator@example.org")
    client.force_login(staff)

    response = client.post(reverse("api-tokens"), {"name": "x", "expires_in": ""})

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    assert not ApiToken.objects.exists()


def test_staff_create_a_token_only_from_a_session_that_passed_two_factor(client, db):
    # Given a coordinator with an authenticator, logged in without a 2FA step in this session
    coordinator = UserFactory(email="coord-2fa@example.org")
    secret = enrol_totp(coordinator)
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])
    client.force_login(coordinator)

    # When they ask for a token, they are asked for their authenticator first
    refused = client.post(reverse("api-tokens"), {"name": "x", "expires_in": ""})
    assert refused.status_code == 302
    assert refused.url.startswith(reverse("mfa_reauthenticate"))
    assert not ApiToken.objects.exists()

    # Then, with the code, the session has passed 2FA and the token is made
    confirmed = client.post(refused.url, {"code": totp_code(secret)})
    assert confirmed.status_code == 302
    created = client.post(reverse("api-tokens"), {"name": "x", "expires_in": ""})
    assert created.status_code == 200
    assert ApiToken.objects.filter(user=coordinator).count() == 1


def test_staff_who_logged_in_with_two_factor_create_a_token_at_once(client, db):
    coordinator = make_coordinator(email="coord-login@example.org")
    totp_secret = decrypt(Authenticator.objects.get(user=coordinator).data["secret"])
    login = client.post(
        reverse("account_login"), {"login": coordinator.email, "password": PASSWORD}
    )
    assert login.status_code == 302
    assert login.url == reverse("mfa_authenticate")
    assert client.post(login.url, {"code": totp_code(totp_secret)}).status_code == 302

    created = client.post(reverse("api-tokens"), {"name": "x", "expires_in": ""})

    assert created.status_code == 200
    assert ApiToken.objects.filter(user=coordinator).count() == 1
