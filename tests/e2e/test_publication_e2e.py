"""The public record through a real browser, on the demo data: a visitor reads the grouped
list with the count of those who cannot be named and downloads the exports; the coordinator
publishes the embargoed letter, the signers are emailed, and its list appears at that moment
and not before. Screenshots go to /tmp/shots-publication/."""

import io
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.roles import sync_role_groups
from letters.demo import EMBARGOED_LETTER_TITLE, SEED_LETTER_TITLE, load_demo
from letters.models import Letter
from outbox.models import OutboundEmail

pytestmark = pytest.mark.e2e

SHOTS = Path(
    os.environ.get("PUBLICATION_SHOTS_DIR") or Path(tempfile.gettempdir()) / "shots-publication"
)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"e2e-{name}.png"), full_page=True)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # load_demo and demo_code are DEBUG-only commands
    sync_role_groups()  # a transactional test before this one may have emptied the groups
    load_demo()
    return {letter.title: letter for letter in Letter.objects.all()}


def _log_in_as_coordinator(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("coordinator@demo.undersigned.test")
    page.get_by_label("Password").fill("undersigned-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    code = io.StringIO()
    call_command(
        "demo_code", "coordinator@demo.undersigned.test", stdout=code, stderr=io.StringIO()
    )
    page.get_by_label("Code").fill(code.getvalue().strip())
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Camila Ortiz")


def test_a_visitor_reads_the_grouped_list_and_downloads_the_exports(page, demo):
    letter = demo[SEED_LETTER_TITLE]

    page.goto(letter.get_absolute_url())
    _shot(page, "visitor-list")

    section = page.locator("#signatories")
    # 16: the demo's accepted invitation was signed with its invited address, so in one step
    expect(section.locator(".signatory-headline")).to_have_text(
        "Signed by 16 organisations from 8 places."
    )
    expect(section.locator("h3.signatory-group")).to_have_text(
        ["Lead organisations", "Canada", "East Turkestan", "Germany", "Hong Kong", "Taiwan",
         "Tibet", "UK", "USA"]
    )  # fmt: skip
    expect(section.locator(".signatories-unnamed")).to_have_text(
        "and 2 organisations that cannot be named for their safety."
    )
    # Recipient-only and counted-only organisations are not named
    expect(section).not_to_contain_text("Tibetan Women's Solidarity")
    expect(section).not_to_contain_text("Lantern Rights Collective")

    # Search, then the A–Z order
    page.get_by_label("Find an organisation").fill("香港")
    page.get_by_role("button", name="Search").click()
    expect(section.get_by_role("status")).to_have_text("1 named organisation matches “香港”.")
    expect(section.locator("ul.signatories li")).to_have_text(["香港人權監察"])
    section.get_by_role("link", name="Show all").click()
    section.get_by_role("link", name="A–Z").click()
    expect(section.locator("h3.signatory-group")).to_have_text(
        ["Lead organisations", "Organisations"]
    )
    _shot(page, "visitor-a-z")

    # The exports work for a visitor
    pdf = page.request.get(f"{letter.get_absolute_url()}letter.pdf")
    assert pdf.status == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Human Rights Watch" in text
    assert "Tibetan Women's Solidarity" not in text
    csv = page.request.get(f"{letter.get_absolute_url()}signatories.csv")
    assert csv.status == 200
    assert "Human Rights Watch,USA," in csv.text()
    assert page.csp_violations == []


def test_the_coordinator_publishes_and_the_embargoed_list_appears_then(
    page, browser, live_server, demo
):
    letter = demo[EMBARGOED_LETTER_TITLE]

    # Before: a visitor sees neither names nor number
    page.goto(letter.get_absolute_url())
    section = page.locator("#signatories")
    expect(section).to_contain_text(
        "The list of signatories, and their number, will be made public when the letter is "
        "published."
    )
    expect(page.locator("main")).not_to_contain_text("Hong Kong Democracy Council, ")
    expect(section).not_to_contain_text("Signed by")
    assert page.request.get(f"{letter.get_absolute_url()}signatories.csv").status == 404
    _shot(page, "embargoed-before")

    # The coordinator publishes, recording how the letter was delivered
    _log_in_as_coordinator(page)
    page.goto(f"{letter.get_absolute_url()}publish/")
    expect(page.locator("main")).to_contain_text(
        "9 approved organisations are on the letter as delivered: 7 named publicly, 1 named "
        "to the recipient only, 1 counted only."
    )
    expect(page.get_by_label("Delivered to")).to_have_value("The Foreign Secretary")
    page.get_by_label("How").fill("by email to the private office")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("The letter is published.")
    _shot(page, "published-coordinator")

    # Every approved signer of this letter is emailed (the demo's published letter already
    # emailed its own)
    assert (
        OutboundEmail.objects.filter(
            kind="letter_published", batch=f"letter:{letter.pk}:published"
        ).count()
        == 9
    )

    # After: a visitor (a fresh context, no cookies) sees the list and the delivery
    context = browser.new_context(base_url=live_server.url)
    visitor_page = context.new_page()
    visitor_page.goto(letter.get_absolute_url())
    section = visitor_page.locator("#signatories")
    expect(section.locator(".signatory-headline")).to_have_text(
        "Signed by 9 organisations from 3 places."
    )
    expect(section.locator(".delivered")).to_contain_text(
        "to the Foreign Secretary (by email to the private office)."
    )
    expect(section).to_contain_text("Hong Kong Democracy Council")
    expect(section).not_to_contain_text("Australia China Rights Network")  # recipient only
    expect(section.locator(".signatories-unnamed")).to_have_text(
        "and 2 organisations that cannot be named for their safety."
    )
    _shot(visitor_page, "published-visitor")
    context.close()
