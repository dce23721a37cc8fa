"""Staff must use 2FA (DESIGN.md §7): a staff session without an authenticator is sent to
enrolment from every page, the admin included; with an authenticator, login asks for a code.
The admin login itself goes through allauth."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.urls import reverse

from tests.accounts.conftest import (
    is_logged_in,
    log_in,
    make_staff_without_2fa,
    totp_code,
)
from tests.factories import PASSWORD, enrol_totp, make_moderator

ENROL = "/accounts/2fa/totp/activate/"  # mfa_activate_totp, checked below
PAGES = ["home", "organisations:mine", "account_change_password"]
ADMIN_PAGES = ["admin:index", "admin:accounts_user_changelist"]


def test_enrolment_url():
    assert reverse("mfa_activate_totp") == ENROL


def reauthenticate(client, next_url: str):
    """allauth asks for the password again before a sensitive change such as enrolling."""
    return client.post(
        f"{reverse('account_reauthenticate')}?next={next_url}", {"password": PASSWORD}
    )


def enrol(client) -> str:
    """Activate TOTP through the real form; returns the secret the page offered."""
    reauthenticate(client, ENROL)
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret.encode() in page.content  # shown for manual entry next to the QR code
    response = client.post(ENROL, {"code": totp_code(secret)})
    assert response.status_code == 302
    return secret


# --- Staff without an authenticator ------------------------------------------------------

# Why, in words true of each role: a coordinator is not told they have "staff rights".
REASONS = {
    "coordinator": "Your account coordinates letters, so it must be protected by two-factor "
    "authentication. Set up an authenticator app to continue.",
    **dict.fromkeys(
        ("moderator", "is_staff"),
        "Your account can moderate signatures or use the admin, so it must be protected by "
        "two-factor authentication. Set up an authenticator app to continue.",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES + ADMIN_PAGES)
def test_staff_without_2fa_is_sent_to_enrolment_from_every_page(
    client, staff_without_2fa, url_name
):
    # Given a staff member who logged in with email and password and has no authenticator
    login = log_in(client, staff_without_2fa.email)
    assert login.status_code == 302
    assert is_logged_in(client)

    # When they open any page
    response = client.get(reverse(url_name))

    # Then they are sent to the authenticator app enrolment, with a reason
    assert response.status_code == 302
    assert response.url == ENROL
    assert [str(m) for m in response.wsgi_request._messages] == [
        f"You are logged in as {staff_without_2fa.email}.",
        REASONS[staff_without_2fa.email.split("-")[0]],
    ]


@pytest.mark.django_db
def test_staff_without_2fa_can_reach_enrolment_and_log_out(client, staff_without_2fa):
    # Given a staff member without an authenticator, logged in
    log_in(client, staff_without_2fa.email)

    # When they open the enrolment page: allauth first asks for their password again …
    first = client.get(ENROL)
    assert first.status_code == 302
    assert first.url == f"{reverse('account_reauthenticate')}?next={ENROL.replace('/', '%2F')}"
    assert client.get(first.url).status_code == 200
    # … and then shows the QR code and the code form
    assert reauthenticate(client, ENROL).url == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    assert b'src="data:image/svg+xml;base64,' in page.content
    assert b'name="code"' in page.content

    # And the logout confirmation page and the logout itself are reachable
    assert client.get(reverse("account_logout")).status_code == 200
    logout = client.post(reverse("account_logout"))
    assert logout.status_code == 302
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_a_wrong_code_does_not_enrol(client, staff_without_2fa):
    # Given a staff member on the enrolment page
    log_in(client, staff_without_2fa.email)
    reauthenticate(client, ENROL)
    client.get(ENROL)

    # When they type a wrong code
    response = client.post(ENROL, {"code": "000000"})

    # Then the form says so, and they are still kept on enrolment
    assert response.status_code == 200
    assert b"Incorrect code." in response.content
    assert Authenticator.objects.filter(user=staff_without_2fa).count() == 0
    assert client.get(reverse("home")).url == ENROL


@pytest.mark.django_db
def test_after_enrolment_staff_reach_the_pages(client, staff_without_2fa):
    # Given a staff member who enrols through the real form with a code from the secret
    log_in(client, staff_without_2fa.email)
    enrol(client)

    # Then they have an authenticator app
    assert (
        Authenticator.objects.filter(user=staff_without_2fa, type=Authenticator.Type.TOTP).count()
        == 1
    )

    # And every page opens
    for url_name in PAGES:
        response = client.get(reverse(url_name))
        assert response.status_code == 200, url_name


@pytest.mark.django_db
def test_after_enrolment_an_is_staff_user_reaches_the_admin(client):
    # Given an admin-site user (is_staff) who enrols
    user = make_staff_without_2fa("is_staff", "admin-no2fa@example.org")
    log_in(client, user.email)
    enrol(client)

    # When they open the admin
    response = client.get(reverse("admin:index"))

    # Then it opens (the admin's own permission checks apply from here)
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", [*PAGES, "account_email", "mfa_index"])
def test_a_non_staff_user_is_never_sent_to_enrolment(client, signer, url_name):
    # Given a signer (no staff rights, no authenticator) who logged in
    log_in(client, signer.email)

    # When they open a page
    response = client.get(reverse(url_name))

    # Then it opens without any 2FA detour
    assert response.status_code == 200
    assert Authenticator.objects.filter(user=signer).count() == 0


# --- Staff with an authenticator: the code stage at login ---------------------------------


@pytest.mark.django_db
def test_staff_login_asks_for_the_code_then_logs_in(client):
    # Given a moderator with an authenticator app
    moderator = make_moderator(email="mod@undersigned.example.org")
    secret = enrol_totp_fresh(moderator)

    # When they log in with email and password
    response = log_in(client, moderator.email)

    # Then they are asked for a code and are not logged in yet
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not is_logged_in(client)
    stage = client.get(reverse("mfa_authenticate"))
    assert stage.status_code == 200
    assert b'autocomplete="one-time-code"' in stage.content
    assert not is_logged_in(client)

    # When they enter the code their app shows
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    # Then they are logged in and reach the site without being sent to enrolment
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert int(client.session["_auth_user_id"]) == moderator.pk
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_at_login_does_not_log_in(client):
    # Given a moderator at the code stage
    moderator = make_moderator(email="mod@undersigned.example.org")
    log_in(client, moderator.email)

    # When they enter a wrong code
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    # Then the stage is shown again with an error, and they are not logged in
    assert response.status_code == 200
    assert b"Incorrect code." in response.content
    assert not is_logged_in(client)


def enrol_totp_fresh(user) -> str:
    """Replace the factory's authenticator with one whose secret the test knows."""
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    return enrol_totp(user)


# --- The admin login goes through allauth -------------------------------------------------


@pytest.mark.django_db
def test_admin_login_redirects_to_the_allauth_login(client):
    # When an anonymous visitor opens the admin login
    response = client.get(reverse("admin:login"))

    # Then they are sent to allauth's login (rate limits, 2FA), coming back afterwards
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=%2Fadmin%2Flogin%2F"


@pytest.mark.django_db
def test_admin_login_form_is_never_served_to_an_anonymous_post(client, superuser):
    # When someone posts credentials straight to the admin's own login form
    response = client.post(
        reverse("admin:login"), {"username": superuser.email, "password": PASSWORD}
    )

    # Then the post is turned away to allauth, and nobody is logged in
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_a_non_staff_user_gets_403_on_the_admin(client, signer):
    # Given a logged-in signer
    log_in(client, signer.email)

    # When they open the admin
    response = client.get(reverse("admin:index"), follow=True)

    # Then the admin's login step refuses them with the site's 403 page
    assert response.redirect_chain == [(f"{reverse('admin:login')}?next=/admin/", 302)]
    assert response.status_code == 403
    assert "errors/403.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_the_qr_codes_text_alternative_is_not_the_secret(client, staff_without_2fa):
    # allauth puts the TOTP secret in the QR code's alt: read aloud, and in the page's text
    log_in(client, staff_without_2fa.email)
    reauthenticate(client, ENROL)

    page = client.get(ENROL).content.decode()

    secret = client.session[SECRET_SESSION_KEY]
    [image] = re.findall(r"<img [^>]*class=\"qr\"[^>]*>", page)
    assert 'alt="QR code for your authenticator app"' in image
    assert secret not in image
    # The secret is still there to type in, as text in its own field
    assert f'value="{secret}"' in page
