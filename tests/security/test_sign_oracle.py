"""Issue 11, item 1: the public sign form is not an oracle of who signed.

Anyone may type an organisation's name and their own address into the sign form. Whatever
they can observe — status, redirect, page bytes, cookies, every email to their address, the
confirmation page before and after they click — must be the same whether that organisation
has signed (publicly, counted only, under embargo, awaiting review or confirmation) or never
signed, or does not exist at all. Only addresses the organisation controls (its signer, its
administrators) hear that someone tried; a logged-in member may be told on the page."""

import re
from http.cookies import SimpleCookie

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from letters.models import Letter, Signature
from organisations.models import Membership
from tests.factories import (
    LetterFactory,
    MembershipFactory,
    OrganisationFactory,
    SignatureFactory,
    UserFactory,
)
from tests.letters.signing_helpers import sign_form_data

REQUESTER = "curious@probe.example.net"
SIGNED = "Uyghur Human Rights Watch"
NEVER_SIGNED = "East Turkistan Education Fund"
UNKNOWN = "Tibet Justice Working Group"
NAMES = (SIGNED, NEVER_SIGNED, UNKNOWN)
TOKEN = re.compile(r"/letters/signatures/(confirm|manage|reconfirm)/[^/\s\"'<>]+/")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


@pytest.fixture
def letter(db) -> Letter:
    return LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN, title="Free the Detained")


@pytest.fixture
def signed_org(db):
    organisation = OrganisationFactory(name=SIGNED, slug="uhrw")
    MembershipFactory(
        organisation=organisation,
        user=UserFactory(email="admin@uhrw.example.org"),
        role=Membership.Role.ADMIN,
    )
    return organisation


@pytest.fixture
def never_signed_org(db):
    return OrganisationFactory(name=NEVER_SIGNED, slug="etef")


def normalised(text: str) -> str:
    for name in NAMES:
        text = text.replace(name, "<ORG>")
    text = TOKEN.sub("<LINK>", text)
    return CSRF.sub(r'\1"', text)


def cookies_of(response) -> list:
    """Cookie names and attributes (values are random per session or token; the expiry
    date moves with the clock)."""
    jar: SimpleCookie = response.cookies
    return sorted(
        (name, tuple(sorted((k, str(v)) for k, v in morsel.items() if v and k != "expires")))
        for name, morsel in jar.items()
    )


def page_of(response) -> tuple:
    return (response.status_code, normalised(response.get("Location", "")), cookies_of(response),
            normalised(response.content.decode()))  # fmt: skip


def emails_to_requester() -> list:
    return [
        (
            normalised(m.subject),
            normalised(m.body),
            [normalised(body) for body, _type in m.alternatives],
        )  # fmt: skip
        for m in mail.outbox
        if REQUESTER in m.to
    ]


def observe(letter: Letter, name: str) -> dict:
    """Everything the requester sees, from the sign form to the page after they confirm."""
    mail.outbox.clear()
    client = Client()
    seen: dict = {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = client.post(
            reverse("letters:sign", args=[letter.slug]),
            sign_form_data(organisation_name=name, signer_email=REQUESTER, signer_name="A. Probe"),
        )
    seen["post"] = page_of(posted)
    seen["after_post"] = (
        page_of(client.get(posted["Location"])) if posted.has_header("Location") else None
    )
    seen["emails"] = emails_to_requester()
    links = [m for m in mail.outbox if REQUESTER in m.to]
    confirm = re.findall(r"https?://[^/\s]+(/letters/signatures/confirm/[^\s]+/)", links[0].body)
    assert confirm, "the requester got no confirmation link"
    seen["confirm_page"] = page_of(client.get(confirm[0]))
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        confirmed = client.post(confirm[0])
    seen["confirmed"] = page_of(confirmed)
    seen["emails_after_confirming"] = emails_to_requester()
    # And the manage link in the same email, afterwards: same page, and withdrawing works
    manage = re.findall(r"https?://[^/\s]+(/letters/signatures/manage/[^\s]+/)", links[0].body)
    seen["manage_page"] = page_of(client.get(manage[0]))
    withdrawn = client.post(manage[0], {"action": "withdraw", "confirm": "on"})
    seen["withdrawn"] = page_of(withdrawn)
    seen["after_withdrawing"] = page_of(client.get(manage[0]))
    return seen


STATES = {
    "public and approved": {"approved": True, "visibility": Signature.Visibility.PUBLIC},
    "counted only": {"approved": True, "visibility": Signature.Visibility.COUNTED_ONLY},
    "recipient only": {"approved": True, "visibility": Signature.Visibility.RECIPIENT_ONLY},
    "awaiting review": {"pending_review": True},
    "awaiting confirmation": {"pending_confirmation": True},
}


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
def test_the_requester_observes_the_same_whether_or_not_the_organisation_signed(
    letter, signed_org, never_signed_org, state
):
    SignatureFactory(
        letter=letter, organisation=signed_org, signer_email="director@uhrw.example.org",
        **STATES[state],
    )  # fmt: skip

    signed = observe(letter, SIGNED)
    never = observe(letter, NEVER_SIGNED)
    unknown = observe(letter, UNKNOWN)

    for step in signed:
        assert signed[step] == never[step], f"{step} differs for a signed organisation"
        assert unknown[step] == never[step], f"{step} differs for an unknown organisation"


@pytest.mark.django_db
def test_under_embargo_too(letter, signed_org, never_signed_org):
    Letter.objects.filter(pk=letter.pk).update(signatories_public_while_open=False)
    SignatureFactory(letter=letter, organisation=signed_org, approved=True)

    assert observe(letter, SIGNED) == observe(letter, NEVER_SIGNED)


@pytest.mark.django_db
def test_only_the_organisation_hears_that_someone_tried(letter, signed_org):
    SignatureFactory(
        letter=letter, organisation=signed_org, approved=True,
        signer_email="director@uhrw.example.org",
    )  # fmt: skip

    observe(letter, SIGNED)

    told = {address for m in mail.outbox for address in m.to}
    assert {"director@uhrw.example.org", "admin@uhrw.example.org"} <= told
    assert REQUESTER not in told
    notice = next(m for m in mail.outbox if "director@uhrw.example.org" in m.to)
    assert "A. Probe" in notice.body
    assert REQUESTER in notice.body
    counted = Signature.objects.filter(status__in=["pending_review", "approved"])
    assert counted.on_letter_of(letter_id=letter.pk, organisation=signed_org).count() == 1


@pytest.mark.django_db
def test_a_logged_in_member_is_told_on_the_page(client, letter, signed_org):
    SignatureFactory(letter=letter, organisation=signed_org, approved=True)
    member = MembershipFactory(
        organisation=signed_org, user=UserFactory(email="staff@uhrw.example.org")
    )
    client.force_login(member.user)

    response = client.post(
        reverse("letters:sign", args=[letter.slug]),
        {"form": "member", "organisation": signed_org.pk, "signer_name": "Staff",
         "visibility": "public", "consent": "on"},
    )  # fmt: skip

    assert response.status_code == 409
    assert b"already signed" in response.content
