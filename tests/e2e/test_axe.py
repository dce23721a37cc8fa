"""Accessibility: axe-core (tests/e2e/axe.py, fetched by `make install-dev`) finds no serious or
critical violation on the public pages, under the site's own Content-Security-Policy; and the
check does find one when there is one. The pages checked are kept as screenshots in
var/artifacts/screenshots/ (tests/e2e/conftest.py keep_screenshot)."""

import pytest
from playwright.sync_api import expect

from letters.models import Signature
from tests.e2e.axe import axe_violations, format_violations
from tests.e2e.conftest import keep_screenshot
from tests.factories import LetterFactory, OrganisationFactory, SignatureFactory

pytestmark = pytest.mark.e2e

V = Signature.Visibility


def test_the_home_page_has_no_serious_accessibility_violation(page):
    page.goto("/")

    violations = axe_violations(page)

    keep_screenshot(page, "axe-home")
    assert violations == [], format_violations(violations)
    assert page.csp_violations == []


def test_a_public_letter_page_has_no_serious_accessibility_violation(page):
    # Given an open letter whose list is public while it collects, with a named signatory, one
    # whose signer is named too, and one that cannot be named
    letter = LetterFactory(
        title="Raise human rights in Beijing",
        version__body="We, the undersigned organisations, urge you to **raise human rights**.",
        signatories_public_while_open=True,
    )
    for name, based_in, visibility, show_signer_name in (
        ("Free Tibet", "UK", V.PUBLIC, False),
        ("香港人權監察", "Hong Kong", V.PUBLIC, True),
        ("Lantern Rights Collective", "Taiwan", V.COUNTED_ONLY, False),
    ):
        SignatureFactory(
            letter=letter,
            organisation=OrganisationFactory(name=name, based_in=based_in),
            visibility=visibility,
            show_signer_name=show_signer_name,
            approved=True,
        )

    # When a visitor opens it
    page.goto(letter.get_absolute_url())
    expect(page.locator("#signatories")).to_contain_text("香港人權監察")

    # Then axe finds nothing serious, and the page's CSP was in force and not broken
    violations = axe_violations(page)
    keep_screenshot(page, "axe-letter")
    assert violations == [], format_violations(violations)
    assert page.csp_violations == []


def test_the_check_finds_an_image_without_alt_text_and_a_button_without_a_name(page):
    # Given a page of the site, then an image with no text alternative and a nameless button
    page.goto("/")
    page.evaluate(
        """() => {
            const image = document.createElement('img');
            image.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
            image.id = 'no-alt';
            const button = document.createElement('button');
            button.id = 'no-name';
            document.querySelector('main').append(image, button);
        }"""
    )

    violations = axe_violations(page)

    by_rule = {violation["id"]: violation for violation in violations}
    assert set(by_rule) == {"image-alt", "button-name"}, format_violations(violations)
    assert by_rule["image-alt"]["impact"] == "critical"
    assert [node["target"] for node in by_rule["image-alt"]["nodes"]] == [["#no-alt"]]
    assert [node["target"] for node in by_rule["button-name"]["nodes"]] == [["#no-name"]]
    message = format_violations(violations)
    assert "- image-alt (critical): Images must have alternative text" in message
    assert "    #no-alt" in message
    assert "    #no-name" in message
    # Only the impacts asked for
    assert axe_violations(page, impacts=("minor",)) == []
