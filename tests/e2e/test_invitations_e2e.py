"""A coordinator invites from a CSV in a real browser: upload, see the preview with a bad row,
fix it, send, watch the counts; one invitee declines through the email's link, another signs;
the tracking page tells the truth at each step. Screenshots go to /tmp/shots-invitations-e2e/
(a failing test also leaves one in the e2e conftest's folder)."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.roles import COORDINATORS
from letters import services
from letters.models import Invitation, Letter
from outbox.models import OutboundEmail
from outbox.services import address_hash
from tests.accounts.conftest import totp_code
from tests.e2e.conftest import log_in_with_code
from tests.emails import as_sent
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.e2e

SHOTS = Path(
    os.environ.get("INVITATIONS_SHOTS_DIR") or Path(tempfile.gettempdir()) / "shots-invitations-e2e"
)

CONTACTS = """organisation,contact name,email,based in
Tibet Action Institute,Pema Dolma,pema@tibetaction.example.net,Dharamsala
Hong Kong Watch Europe,Ben Rogers,ben@hkwe.example.org,London
Uyghur Women's Voices,Rahima Ablimit,rahima@uwv.example.org,Munich
Macau Civic Forum,Iris Leong,iris@mcf,Macau
"""


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _link(email_address: str, suffix: str = "") -> str:
    body = as_sent(
        OutboundEmail.objects.filter(to_hash=address_hash(email_address), kind="invitation").get()
    ).text
    [path] = set(re.findall(r"http://[^/\s]+(/letters/invitations/[^/\s]+/" + suffix + ")", body))
    return path


def _log_in(page, user, secret: str) -> None:
    log_in_with_code(page, user.email, PASSWORD, totp_code(secret), start="/accounts/login/")


def _count(page, status: str):
    return page.locator(f'.counts [data-count="{status}"]')


def test_invite_from_a_csv_then_decline_and_sign(page, live_server, browser, tmp_path):
    # Given a coordinator (with 2FA) of an invitation-only letter, and one registered org
    coordinator = UserFactory(email="camila@lead.example.org", name="Camila Ortiz")
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])
    secret = enrol_totp(coordinator)
    letter = services.create_letter(
        author=coordinator,
        title="Raise human rights in Beijing",
        body="We urge you to **raise human rights** during your visit.",
        recipient="The Secretary of State",
    )
    services.open_letter(letter=letter, actor=coordinator)
    OrganisationFactory(name="Tibet Action Institute", is_verified=True)
    csv_path = tmp_path / "contacts.csv"
    csv_path.write_text(CONTACTS, encoding="utf-8")

    # When they log in and upload the file from the letter's invitations page
    _log_in(page, coordinator, secret)
    page.goto(f"/letters/{letter.slug}/")
    page.get_by_role("navigation", name="Manage this letter").get_by_role(
        "link", name="Invitations"
    ).click()
    page.get_by_role("link", name="Invite from a CSV file").click()
    page.get_by_label(re.compile("CSV file")).set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and check").click()

    # Then the preview sorts the rows and names the problem; nobody is invited yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the contacts")
    expect(page.locator(".counts")).to_contain_text("New: 3")
    expect(page.locator(".counts")).to_contain_text("Invalid: 1")
    expect(page.get_by_text("“iris@mcf” is not a valid email address.").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Send"))).to_have_count(0)
    _shot(page, "1-preview")
    assert Invitation.objects.count() == 0

    # When they correct the address and send
    page.get_by_label("Email, line 5").fill("iris@mcf.example.org")
    page.get_by_role("button", name="Save the corrections and check again").click()
    expect(page.get_by_role("status")).to_contain_text("Checked again: every row can be invited.")
    page.get_by_role("button", name="Send 4 invitations").first.click()

    # Then the tracking page counts them; in-process delivery has sent them already
    expect(page.get_by_role("status")).to_contain_text("4 invitations are being sent.")
    expect(_count(page, "sent")).to_have_text("4")
    expect(_count(page, "queued")).to_have_text("0")
    _shot(page, "2-sent")
    assert Invitation.objects.filter(letter=letter, status="sent").count() == 4

    # When one invitee declines through the link in their email, with a reason
    invitee = browser.new_context(base_url=live_server.url).new_page()
    invitee.goto(_link("ben@hkwe.example.org", "decline/"))
    invitee.get_by_label(re.compile("Why not")).fill("We only sign what our members voted on.")
    invitee.get_by_role("button", name="We will not sign").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Thank you for letting us know")

    # And another signs through theirs (the organisation is fixed by the invitation)
    invitee.goto(_link("pema@tibetaction.example.net"))
    expect(invitee.get_by_text("You were invited to sign for")).to_contain_text(
        "Tibet Action Institute"
    )
    invitee.get_by_label(re.compile(r"^Your name")).fill("Pema Dolma")
    invitee.get_by_label(re.compile(r"^Your work email")).fill("pema@tibetaction.example.net")
    invitee.get_by_role("radio", name=re.compile("Public")).check()
    invitee.get_by_label(re.compile("I have read the")).check()
    invitee.get_by_role("button", name="Sign the letter").click()
    # Then the personal link proved the address: confirmed at once, a receipt on its way
    expect(invitee.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your signature is confirmed"
    )
    expect(invitee.get_by_text("We have emailed you a receipt")).to_be_visible()

    # Then the coordinator's page tells exactly that
    page.get_by_role("link", name="Refresh").click()
    expect(_count(page, "sent")).to_have_text("2")
    expect(_count(page, "declined")).to_have_text("1")
    expect(_count(page, "accepted")).to_have_text("1")
    expect(page.get_by_text("Reason: “We only sign what our members voted on.”")).to_be_visible()
    _shot(page, "3-answered")
    assert dict(Invitation.objects.values_list("email", "status")) == {
        "pema@tibetaction.example.net": "accepted",
        "ben@hkwe.example.org": "declined",
        "rahima@uwv.example.org": "sent",
        "iris@mcf.example.org": "sent",
    }
    assert Letter.objects.get(pk=letter.pk).signatures.get().authority == "invitation"
    assert page.csp_violations == []


def test_a_long_files_send_button_is_in_the_first_screen(page, live_server, tmp_path):
    # Given a coordinator's preview of 150 contacts, 40 of them with a problem to correct
    coordinator = UserFactory(email="camila@lead.example.org", name="Camila Ortiz")
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])
    secret = enrol_totp(coordinator)
    letter = services.create_letter(
        author=coordinator, title="A long list", body="We urge you.", recipient="The Minister"
    )
    services.open_letter(letter=letter, actor=coordinator)
    lines = ["organisation,contact name,email"] + [
        f"Organisation {n},Contact {n},contact{n}@org{n}.example.org"
        if n % 4
        else f"Organisation {n},Contact {n},contact{n}@bad"
        for n in range(1, 151)
    ]
    csv_path = tmp_path / "contacts.csv"
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _log_in(page, coordinator, secret)
    page.goto(f"/letters/{letter.slug}/invitations/import/")
    page.get_by_label(re.compile("CSV file")).set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the contacts")

    # When they drop the rows with a problem
    page.get_by_role("button", name="Drop every row with a problem").click()

    # Then the summary and the Send button are on the first screen, above the rows
    send = page.get_by_role("button", name="Send 113 invitations").first
    expect(send).to_be_visible()
    box = send.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 900, box
    assert page.evaluate("document.documentElement.scrollHeight") > 900  # the rows follow
