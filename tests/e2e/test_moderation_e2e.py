"""A moderator works the queue through a real browser: logs in with a password and a code,
approves two signatures in bulk, rejects one with a reason, merges a duplicate organisation
and verifies an email domain; the public letter page and the signers' emails show the effect.
Screenshots of each step go to /tmp/shots-moderation/ (a failing test also leaves one in the
e2e conftest's folder)."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from playwright.sync_api import expect

from letters import services
from letters.models import Letter, Signature
from organisations.models import EmailDomain
from tests.accounts.conftest import totp_code
from tests.e2e.conftest import keep_screenshot, log_in_with_code
from tests.factories import (
    PASSWORD,
    EmailDomainFactory,
    OrganisationFactory,
    enrol_totp,
    make_coordinator,
    make_moderator,
)

pytestmark = pytest.mark.e2e

SHOTS = Path(
    os.environ.get("MODERATION_SHOTS_DIR") or Path(tempfile.gettempdir()) / "shots-moderation"
)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"e2e-{name}.png"), full_page=True)


def _sign(letter, *, organisation=None, name="", email="") -> Signature:
    choice = (
        services.OrganisationChoice(organisation=organisation)
        if organisation
        else services.OrganisationChoice(new_name=name, based_in="Hong Kong")
    )
    signature = services.sign_letter(
        letter=letter, organisation=choice, signer_name="Signer", signer_email=email, consent=True
    )
    return services.confirm_signature(signature=signature)


def _scene():
    coordinator = make_coordinator(email="camila@lead.example.org")
    letter = services.create_letter(
        author=coordinator,
        title="Raise human rights in Beijing",
        body="We, the undersigned organisations, urge you to raise human rights.",
        recipient="The Secretary of State",
        sign_on_mode=Letter.SignOnMode.OPEN,
        signatories_public_while_open=True,
    )
    letter = services.open_letter(letter=letter, actor=coordinator)
    hrw = OrganisationFactory(name="Human Rights Watch", is_verified=True)
    EmailDomainFactory(organisation=hrw, domain="hrw.example.org", is_verified=True)
    approved = _sign(letter, organisation=hrw, email="dana@hrw.example.org")
    moderator = make_moderator(
        email="morgan@undersigned.example.org", name="Morgan Lee", is_staff=True
    )
    services.approve_signature(signature=approved, moderator=moderator)
    harbour = OrganisationFactory(name="Harbour Lights Legal Aid")
    EmailDomainFactory(organisation=harbour, domain="harbourlights.example.org")
    _sign(letter, organisation=harbour, email="kayan@harbourlights.example.org")
    _sign(letter, name="Mountain Voices Tibet", email="sonam@mountainvoices.example.org")
    _sign(letter, name="Quick Cash Loans", email="win@gmail.com")
    _sign(letter, name="Human-Rights Watch Intl", email="press@hrw.example.org")
    mail.outbox.clear()
    return letter, moderator


def _log_in(page, moderator, secret: str) -> None:
    log_in_with_code(page, moderator.email, PASSWORD, totp_code(secret), start="/admin/")


def _tick(page, name: str) -> None:
    row = page.locator("#result_list tbody tr", has=page.get_by_role("link", name=name, exact=True))
    row.locator("input.action-select").check()


def _run(page, action: str) -> None:
    page.select_option("select[name=action]", action)
    page.get_by_role("button", name="Run").click()


def test_a_moderator_works_the_queue(page, live_server):
    letter, moderator = _scene()
    # An authenticator app whose secret the test knows
    Authenticator.objects.filter(user=moderator).delete()
    secret = enrol_totp(moderator)

    # When the moderator logs in to the admin and opens the queue
    _log_in(page, moderator, secret)
    page.goto("/admin/letters/pendingsignature/")
    expect(page.get_by_role("heading", level=1, name="Signatures awaiting review")).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    duplicate_row = page.locator(
        "#result_list tbody tr",
        has=page.get_by_role("link", name="Human-Rights Watch Intl", exact=True),
    )
    expect(duplicate_row).to_contain_text("Already signed this letter as: Human Rights Watch")
    _shot(page, "1-queue")

    # And approves two at once
    _tick(page, "Harbour Lights Legal Aid")
    _tick(page, "Mountain Voices Tibet")
    _run(page, "approve_selected")
    expect(page.locator(".messagelist")).to_contain_text("2 signatures approved.")

    # And rejects one, giving the reason
    _tick(page, "Quick Cash Loans")
    _run(page, "reject_selected")
    expect(page.get_by_role("heading", level=1, name="Reject 1 signature")).to_be_visible()
    page.get_by_label("Spam").check()
    page.get_by_label("Note to the signer").fill("This is a lender, not a rights organisation.")
    _shot(page, "2-reject")
    page.get_by_role("button", name="Reject 1 signature").click()
    expect(page.locator(".messagelist")).to_contain_text("1 signature rejected")

    # And merges the duplicate into Human Rights Watch, keeping HRW's signature
    page.goto("/admin/organisations/organisation/?q=watch")
    _tick(page, "Human Rights Watch")
    _tick(page, "Human-Rights Watch Intl")
    _run(page, "merge_selected")
    expect(page.get_by_role("heading", level=1, name="Merge organisations")).to_be_visible()
    page.get_by_label(re.compile(r"Keep the signature of Human Rights Watch \(")).check()
    _shot(page, "3-merge")
    page.get_by_role("button", name="Merge Human-Rights Watch Intl into Human Rights Watch").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Human-Rights Watch Intl was merged into Human Rights Watch."
    )

    # And verifies a domain
    page.goto("/admin/organisations/emaildomain/?q=harbourlights")
    page.locator("#result_list tbody tr input.action-select").check()
    _run(page, "verify_selected")
    expect(page.locator(".messagelist")).to_contain_text("1 email domain verified.")

    # Then the queue is empty
    page.goto("/admin/letters/pendingsignature/")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)

    # And the public letter page lists the approved organisations, not the others
    page.goto(f"/letters/{letter.slug}/")
    signatories = page.locator("#signatories, .signatories").first
    expect(signatories).to_contain_text("Harbour Lights Legal Aid")
    expect(signatories).to_contain_text("Mountain Voices Tibet")
    expect(signatories).to_contain_text("Human Rights Watch")
    expect(signatories).not_to_contain_text("Quick Cash Loans")
    expect(signatories).not_to_contain_text("Human-Rights Watch Intl")
    _shot(page, "4-letter")
    assert page.csp_violations == []

    # And each signer was emailed the decision
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == [
        "kayan@harbourlights.example.org",
        "press@hrw.example.org",
        "sonam@mountainvoices.example.org",
        "win@gmail.com",
    ]
    assert "is now a signatory" in by_address["sonam@mountainvoices.example.org"].subject
    assert "Reason: Spam" in by_address["win@gmail.com"].body
    assert "This is a lender, not a rights organisation." in by_address["win@gmail.com"].body
    assert "Reason: Duplicate of another signature" in by_address["press@hrw.example.org"].body
    assert EmailDomain.objects.get(domain="harbourlights.example.org").is_verified


@pytest.mark.parametrize("width", [1280, 390])
def test_the_queues_warnings_fit_and_the_filters_come_first(browser, live_server, e2e_db, width):
    # Issue 15, item 13: the Warnings column was cut off at 1280 px and on a phone
    _letter, moderator = _scene()
    Authenticator.objects.filter(user=moderator).delete()
    secret = enrol_totp(moderator)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    try:
        _log_in(page, moderator, secret)
        page.goto("/admin/letters/pendingsignature/")

        # Then no part of the page is wider than the screen, the filters are above the list,
        # and every row's warnings are within the screen's width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        filters = page.locator("#changelist-filter").bounding_box()
        results = page.locator("#result_list").bounding_box()
        assert filters is not None
        assert results is not None
        assert filters["y"] < results["y"]
        warnings = page.locator("#result_list td.field-warnings")
        assert warnings.count() == 4
        for index in range(4):
            box = warnings.nth(index).bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width, (index, box)
        keep_screenshot(page, f"moderation-queue-{width}")
    finally:
        context.close()
