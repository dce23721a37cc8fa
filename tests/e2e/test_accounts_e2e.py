"""Each role's way in, through a real browser: a signer logs in; a moderator logs in with a
password and then a code from their authenticator app; a coordinator without 2FA is sent to
enrolment and enrols by scanning (here: reading) the secret."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.roles import COORDINATORS, MODERATORS
from tests.accounts.conftest import totp_code
from tests.factories import PASSWORD, MembershipFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.e2e


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def test_a_signer_logs_in_and_sees_their_name_and_nav(page, live_server):
    # Given a signer of an organisation
    user = UserFactory(email="tenzin@ngo.example.org", name="Tenzin Dolkar")
    MembershipFactory(user=user)

    # When they log in through the real form
    log_in(page, user.email)

    # Then they land on the home page, logged in, with their own navigation
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_contain_text(
        "You are logged in as tenzin@ngo.example.org."
    )
    nav = main_nav(page)
    expect(nav).to_contain_text("Tenzin Dolkar")
    expect(nav.get_by_role("link", name="My organisations")).to_be_visible()
    expect(nav.get_by_role("link", name="Account")).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(nav.get_by_role("link", name="Moderation")).to_have_count(0)
    expect(nav.get_by_role("link", name="Log in")).to_have_count(0)
    assert page.csp_violations == []


def test_a_wrong_password_keeps_the_signer_out(page, live_server):
    user = UserFactory(email="tenzin@ngo.example.org")

    log_in(page, user.email, "not-the-password")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.locator(".errorlist")).to_have_text(
        "The email address and/or password you specified are not correct."
    )
    expect(main_nav(page).get_by_role("link", name="Log in")).to_be_visible()


def test_a_moderator_logs_in_with_password_then_code(page, live_server):
    # Given a moderator with an authenticator app whose secret we know
    moderator = UserFactory(email="morgan@undersigned.example.org", name="Morgan Lee")
    moderator.groups.add(Group.objects.get_or_create(name=MODERATORS)[0])
    secret = enrol_totp(moderator)

    # When they log in with email and password
    log_in(page, moderator.email)

    # Then they are asked for a code, and are not logged in yet
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/authenticate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    expect(main_nav(page).get_by_role("link", name="Log in")).to_be_visible()

    # When they type the code their app shows
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Log in").click()

    # Then they land on the site with the Moderation link in the nav
    expect(page).to_have_url(f"{live_server.url}/")
    nav = main_nav(page)
    expect(nav).to_contain_text("Morgan Lee")
    expect(nav.get_by_role("link", name="Moderation")).to_have_attribute("href", "/admin/")
    assert page.csp_violations == []


def test_a_coordinator_without_2fa_is_sent_to_enrolment_and_enrols(page, live_server):
    # Given a coordinator who has not set up an authenticator app
    coordinator = UserFactory(email="camila@lead.example.org", name="Camila Ortiz")
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])

    # When they log in
    log_in(page, coordinator.email)

    # Then they are sent towards enrolment, told why, and asked to confirm their password
    expect(page).to_have_url(
        f"{live_server.url}/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    expect(page.locator(".message-warning")).to_have_text(
        "Your account coordinates letters, so it must be protected by two-factor "
        "authentication. Set up an authenticator app to continue."
    )

    # And any other page sends them back
    page.goto("/organisations/mine/")
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))

    # When they confirm their password
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    # Then the enrolment page shows the QR code and the secret
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    expect(page.locator("img.qr")).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()

    # When they enter the code from their app
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    # Then 2FA is on and the site opens
    expect(page.locator(".message-success").first).to_be_visible()
    assert Authenticator.objects.filter(user=coordinator, type=Authenticator.Type.TOTP).exists()
    page.goto("/organisations/mine/")
    expect(page).to_have_url(f"{live_server.url}/organisations/mine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My organisations")
    assert page.csp_violations == []


def test_the_skip_link_appears_on_focus(page):
    # Given the home page, read with a keyboard
    page.goto("/")
    skip = page.get_by_role("link", name="Skip to content")

    # When the first Tab is pressed
    page.keyboard.press("Tab")

    # Then the skip link has focus and is on screen
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["height"] > 0

    # And following it moves focus to the main content
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
