"""Flash messages and form errors, as a screen-reader user meets them in a real browser (issue 15,
item 15): a flash message passes axe; a form in error follows the GOV.UK error-summary pattern
— a summary at the top that takes focus on load, a link to each field in error, "Error: " before
the page's title, and each invalid input marked invalid and described by its own message."""

import re

import pytest
from playwright.sync_api import expect

from letters import services
from letters.models import Letter, Signature
from tests.e2e.axe import axe_violations, format_violations
from tests.e2e.conftest import keep_screenshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.e2e


def _open_mode_letter() -> Letter:
    coordinator = make_coordinator(email="camila@lead.example.org", name="Camila Ortiz")
    letter = services.create_letter(
        author=coordinator,
        title="Raise human rights in Beijing",
        body="We, the undersigned organisations, urge you to **raise human rights**.",
        recipient="The Secretary of State",
        sign_on_mode=Letter.SignOnMode.OPEN,
    )
    return services.open_letter(letter=letter, actor=coordinator)


def test_a_page_with_a_flash_message_has_no_serious_accessibility_violation(page, live_server):
    # Given a signer who logs in, which leaves a flash message on the page they land on
    user = UserFactory(email="tenzin@ngo.example.org", name="Tenzin Dolkar")
    MembershipFactory(user=user)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)

    # When they submit the form
    page.get_by_label("Password").press("Enter")

    # Then the message is a status region whose list keeps its list semantics
    status = page.get_by_role("status")
    expect(status).to_contain_text(user.email)
    expect(status.get_by_role("listitem")).to_have_count(1)
    # And axe finds nothing serious or critical on the page
    violations = axe_violations(page)
    keep_screenshot(page, "axe-flash-message")
    assert violations == [], format_violations(violations)
    assert page.csp_violations == []


def _sign_with_mistakes(page, letter: Letter) -> None:
    """The sign form with no organisation and an email address that is not one."""
    page.goto(f"/letters/{letter.slug}/sign/")
    page.get_by_label(re.compile(r"^Based in:?$")).fill("Dharamsala")
    page.get_by_label(re.compile(r"^Your name:?$")).fill("Pema Dolma")
    page.get_by_label(re.compile(r"^Your work email:?$")).fill("not-an-email")
    page.get_by_role("radio", name=re.compile(r"Counted only")).check()
    page.get_by_label(re.compile(r"I have read the privacy notice")).check()
    page.get_by_role("button", name="Sign the letter").click()


def test_sign_form_errors_are_summarised_focused_and_linked_to_their_fields(page, live_server):
    # Given an open letter, and its sign form sent with two mistakes
    letter = _open_mode_letter()
    _sign_with_mistakes(page, letter)

    # Then the page opens on an error summary, which has the focus
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()
    # And the title says there is an error before anything else
    expect(page).to_have_title(re.compile(r"^Error: Sign: Raise human rights in Beijing"))
    # And the summary links to each field in error, in the form's order
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "#id_organisation_name")
    expect(links.nth(0)).to_have_text("Organisation: This field is required.")
    expect(links.nth(1)).to_have_attribute("href", "#id_signer_email")
    expect(links.nth(1)).to_have_text("Your work email: Enter a valid email address.")

    # And the organisation field is invalid, described by its help and by its error
    organisation = page.locator("#id_organisation_name")
    expect(organisation).to_have_attribute("aria-invalid", "true")
    expect(organisation).to_have_attribute(
        "aria-describedby", "id_organisation_name_helptext id_organisation_name_error"
    )
    expect(page.locator("#id_organisation_name_error")).to_have_text("This field is required.")
    expect(organisation).to_have_accessible_description(
        re.compile(r"Type its full name.*This field is required\.$")
    )
    email = page.locator("#id_signer_email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile(r"Enter a valid email address\.$"))
    # And the fields without a mistake are not marked invalid
    expect(page.locator("#id_signer_name")).not_to_have_attribute("aria-invalid", "true")

    # And axe finds nothing serious or critical on the page in error
    violations = axe_violations(page)
    keep_screenshot(page, "axe-sign-form-errors")
    assert violations == [], format_violations(violations)
    assert page.csp_violations == []
    assert Signature.objects.count() == 0

    # When they follow the summary's link to the organisation
    links.nth(0).click()

    # Then the organisation field has the focus, ready to type into
    expect(organisation).to_be_focused()


def test_the_summary_takes_the_focus_when_the_page_was_opened_at_a_fragment(page, live_server):
    # Given the sign form opened at its heading (as "Use the full form" links to it), whose
    # POST would carry the fragment to the page in error, where it would win over autofocus
    letter = _open_mode_letter()
    page.goto(f"/letters/{letter.slug}/sign/?other=1#form-title")

    # When it is sent without an organisation
    page.get_by_label(re.compile(r"^Your name:?$")).fill("Pema Dolma")
    page.get_by_role("button", name="Sign the letter").click()

    # Then the page in error still opens on its summary
    expect(page.locator(".error-summary")).to_be_focused()
