"""A new person signs an open letter for their organisation through a real browser, confirms
through the link in the email, and is thanked. Screenshots of each step go to
/tmp/shots-signing/ (a failing test also leaves one in the e2e conftest's folder)."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from letters import services
from letters.models import Letter, Signature
from organisations.models import Organisation
from outbox.models import OutboundEmail
from tests.factories import make_coordinator

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("SIGNING_SHOTS_DIR") or Path(tempfile.gettempdir()) / "shots-signing")
SITE_URL = "http://127.0.0.1:8000"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _open_mode_letter() -> Letter:
    coordinator = make_coordinator(email="camila@lead.example.org", name="Camila Ortiz")
    letter = services.create_letter(
        author=coordinator,
        title="Raise human rights in Beijing",
        body=(
            "We, the undersigned organisations, urge you to **raise human rights** during your "
            "visit.\n\n- Release those detained for peaceful expression."
        ),
        recipient="The Secretary of State",
        sign_on_mode=Letter.SignOnMode.OPEN,
    )
    return services.open_letter(letter=letter, actor=coordinator)


def _confirm_link(body: str) -> str:
    [url] = re.findall(re.escape(SITE_URL) + r"(/letters/signatures/confirm/[^\s]+/)", body)
    return url


def _label(text: str) -> re.Pattern:
    """A form label as Django renders it, with or without its colon."""
    return re.compile(rf"^{re.escape(text)}:?$")


def _fill_sign_form(page, *, organisation: str, name: str, email: str) -> None:
    page.get_by_label(_label("Organisation")).fill(organisation)
    page.get_by_label(_label("Based in")).fill("Dharamsala")
    page.get_by_label(_label("Your name")).fill(name)
    page.get_by_label(_label("Your title or role")).fill("Director")
    page.get_by_label(_label("Your work email")).fill(email)
    page.get_by_role("radio", name=re.compile(r"Counted only")).check()
    page.get_by_label(re.compile(r"I have read the privacy notice")).check()


def test_a_new_person_signs_for_a_new_organisation_and_confirms_by_email(page, live_server):
    # Given an open letter that any organisation may ask to sign
    letter = _open_mode_letter()

    # When a new person opens its sign page
    page.goto(f"/letters/{letter.slug}/sign/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign “Raise human rights in Beijing”"
    )
    version = letter.versions.get(is_current=True)
    expect(page.locator(".sign-text")).to_contain_text(version.content_hash)
    _shot(page, "1-sign-form")

    # And fills the form for an organisation that is not registered yet, and submits
    _fill_sign_form(
        page,
        organisation="Tibetan Women's Association",
        name="Pema Dolma",
        email="pema@twa.example.net",
    )
    page.get_by_role("button", name="Sign the letter").click()

    # Then they are asked to check their email
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to confirm")
    expect(page).to_have_url(f"{live_server.url}/letters/{letter.slug}/sign/sent/")
    _shot(page, "2-check-your-email")
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING_CONFIRMATION
    assert signature.visibility == Signature.Visibility.COUNTED_ONLY
    # The name is kept as typed; the organisation is registered when they confirm
    assert signature.proposed_organisation_name == "Tibetan Women's Association"
    assert signature.organisation is None

    # And the confirmation email was sent, naming the version and its fingerprint
    [message] = mail.outbox
    assert message.to == ["pema@twa.example.net"]
    assert version.content_hash in message.body
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT

    # When they open the link in the email
    page.goto(_confirm_link(message.body))

    # Then they see what they are confirming, and nothing is confirmed yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your signature")
    expect(page.locator("main")).to_contain_text("Tibetan Women's Association")
    expect(page.locator("main")).to_contain_text(version.content_hash)
    _shot(page, "3-confirm-page")
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING_CONFIRMATION

    # When they press the button
    page.get_by_role("button", name="Yes, confirm the signature").click()

    # Then they are thanked, and the signature awaits review
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your signature is confirmed"
    )
    expect(page.locator("main")).to_contain_text("A moderator now checks")
    _shot(page, "4-thank-you")
    signature = Signature.objects.select_related("public_organisation").get()
    assert signature.status == Signature.Status.PENDING_REVIEW
    assert (signature.organisation.name, signature.organisation.is_verified) == (
        "Tibetan Women's Association",
        False,
    )
    assert page.csp_violations == []


def test_the_honeypot_field_is_invisible_to_people(page, live_server):
    letter = _open_mode_letter()

    page.goto(f"/letters/{letter.slug}/sign/")

    expect(page.get_by_role("button", name="Sign the letter")).to_be_visible()
    # Hidden the accessible way (clipped to a pixel, out of the flow), which Playwright still
    # calls "visible": measure the box that holds the field and its label instead
    holder = page.locator("div:has(> input[name=website])")
    box = holder.bounding_box()
    assert box is None or (box["width"] <= 1 and box["height"] <= 1), box
    expect(holder).to_have_attribute("aria-hidden", "true")
    expect(page.locator("input[name=website]")).to_have_attribute("tabindex", "-1")


def test_a_mistake_in_the_form_is_shown_and_what_was_typed_is_kept(page, live_server):
    letter = _open_mode_letter()
    page.goto(f"/letters/{letter.slug}/sign/")

    _fill_sign_form(
        page,
        organisation="ئۇيغۇر كىشىلىك ھوقۇق",
        name="ئابدۇرېھىم",
        email="not-an-email",
    )
    page.get_by_role("button", name="Sign the letter").click()

    expect(page.locator(".field-error")).to_contain_text("Enter a valid email address.")
    expect(page.get_by_label(_label("Organisation"))).to_have_value("ئۇيغۇر كىشىلىك ھوقۇق")
    expect(page.get_by_label(_label("Your name"))).to_have_value("ئابدۇرېھىم")
    _shot(page, "5-form-error")
    assert Signature.objects.count() == 0
    assert Organisation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
