"""The links in the signing emails: signed, single-purpose, expiring. A tampered, expired,
reused or misdirected link gives a clear page and changes nothing; a GET or HEAD of any email
link never changes anything (mail scanners open every link)."""

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

from letters import services, tokens
from letters.models import Letter, Signature
from outbox.models import OutboundEmail
from tests.emails import as_sent
from tests.letters.signing_helpers import (
    confirm_path,
    emails_of,
    in_state,
    link_in,
    manage_path,
    open_mode_letter,
    reconfirm_path,
    sign,
    signature_token,
    signed_days_ago,
    text_of,
    world,
)

pytestmark = pytest.mark.django_db

S = Signature.Status


@pytest.fixture
def letter(make_letter) -> Letter:
    return open_mode_letter(make_letter)


@pytest.fixture
def signature(letter) -> Signature:
    return sign(letter)


def _templates(response) -> list[str]:
    return [t.name for t in response.templates]


def _assert_link_invalid(response, reason: str) -> None:
    assert response.status_code == 400
    assert "letters/link_invalid.html" in _templates(response)
    heading = {"invalid": "This link is not valid", "expired": "This link has expired"}[reason]
    assert heading in text_of(response)
    assert "Nothing was changed." in text_of(response)


def _tampered(token: str) -> str:
    """The same token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


ROUTES = {
    tokens.CONFIRM: "letters:signature-confirm",
    tokens.MANAGE: "letters:signature-manage",
    tokens.RECONFIRM: "letters:signature-reconfirm",
}


def _token(signature: Signature, purpose: str) -> str:
    version = signature.version.number if purpose == tokens.RECONFIRM else None
    return signature_token(signature, purpose, version=version)


# --- tampered ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("purpose", tokens.PURPOSES)
def test_a_tampered_link_is_not_valid_and_changes_nothing(client, signature, purpose, method):
    url = reverse(ROUTES[purpose], args=[_tampered(_token(signature, purpose))])
    before = world()

    response = getattr(client, method)(url, {"action": "withdraw", "confirm": "on"})

    _assert_link_invalid(response, "invalid")
    assert world() == before


@pytest.mark.parametrize("purpose", tokens.PURPOSES)
@pytest.mark.parametrize("token", ["x", "not-a-token", "eyJzIjoxfQ:1abcde:Zm9v", "%00", "."])
def test_garbage_instead_of_a_token_is_not_valid(client, signature, purpose, token):
    before = world()

    response = client.post(reverse(ROUTES[purpose], args=[token]))

    _assert_link_invalid(response, "invalid")
    assert world() == before


@pytest.mark.parametrize("purpose", tokens.PURPOSES)
def test_a_link_to_a_signature_that_does_not_exist_is_not_valid(client, signature, purpose):
    token = tokens.make_signature_token(
        signature_id=signature.pk + 1000, purpose=purpose, version=1
    )
    before = world()

    response = client.post(reverse(ROUTES[purpose], args=[token]))

    _assert_link_invalid(response, "invalid")
    assert world() == before


def test_a_token_signed_with_another_secret_key_is_not_valid(client, signature):
    with override_settings(SECRET_KEY="someone-else's-key-" + "x" * 40):
        forged = _token(signature, tokens.CONFIRM)
    before = world()

    response = client.post(reverse("letters:signature-confirm", args=[forged]))

    _assert_link_invalid(response, "invalid")
    assert world() == before


# --- expired -------------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", [tokens.CONFIRM, tokens.RECONFIRM])
def test_a_confirmation_link_expires_after_the_confirmation_window(client, signature, purpose):
    with signed_days_ago(django_settings.SIGNATURE_CONFIRMATION_DAYS + 0.01):
        token = _token(signature, purpose)
    before = world()

    response = client.post(reverse(ROUTES[purpose], args=[token]))

    _assert_link_invalid(response, "expired")
    assert world() == before


def test_a_confirmation_link_still_works_just_inside_the_window(client, signature):
    with signed_days_ago(django_settings.SIGNATURE_CONFIRMATION_DAYS - 0.01):
        token = _token(signature, tokens.CONFIRM)

    response = client.post(reverse("letters:signature-confirm", args=[token]))

    assert response.status_code == 200
    signature.refresh_from_db()
    assert signature.status == S.PENDING_REVIEW


def test_a_manage_link_lives_for_its_own_longer_window(client, signature):
    assert django_settings.SIGNATURE_MANAGE_LINK_DAYS > django_settings.SIGNATURE_CONFIRMATION_DAYS
    with signed_days_ago(django_settings.SIGNATURE_CONFIRMATION_DAYS + 1):
        still_valid = _token(signature, tokens.MANAGE)
    with signed_days_ago(django_settings.SIGNATURE_MANAGE_LINK_DAYS + 0.01):
        expired = _token(signature, tokens.MANAGE)
    before = world()

    assert client.get(reverse("letters:signature-manage", args=[still_valid])).status_code == 200
    response = client.post(
        reverse("letters:signature-manage", args=[expired]), {"action": "withdraw", "confirm": "on"}
    )

    _assert_link_invalid(response, "expired")
    assert world() == before


# --- wrong purpose -------------------------------------------------------------------------------

MISDIRECTED = [
    (tokens.MANAGE, tokens.CONFIRM),
    (tokens.RECONFIRM, tokens.CONFIRM),
    (tokens.CONFIRM, tokens.MANAGE),
    (tokens.RECONFIRM, tokens.MANAGE),
    (tokens.CONFIRM, tokens.RECONFIRM),
    (tokens.MANAGE, tokens.RECONFIRM),
]


@pytest.mark.parametrize(("made_for", "used_on"), MISDIRECTED)
def test_a_link_made_for_one_purpose_does_nothing_on_another(client, signature, made_for, used_on):
    token = _token(signature, made_for)
    before = world()

    response = client.post(
        reverse(ROUTES[used_on], args=[token]), {"action": "withdraw", "confirm": "on"}
    )

    _assert_link_invalid(response, "invalid")
    assert world() == before


def test_an_invitation_secret_is_not_a_signature_link(client, open_letter, owner, signature):
    services.invite(
        letter=open_letter, actor=owner, email="info@tibetwatch.example.net", organisation_name="TW"
    )
    secret = link_in(as_sent(emails_of("invitation")[0]).text, "invitations").split("/")[-2]
    before = world()

    response = client.post(reverse("letters:signature-confirm", args=[secret]))

    _assert_link_invalid(response, "invalid")
    assert world() == before


def test_a_reconfirm_link_without_a_version_is_not_valid(client, signature):
    token = signature_token(signature, tokens.RECONFIRM)  # no version in it
    before = world()

    response = client.post(reverse("letters:signature-reconfirm", args=[token]))

    _assert_link_invalid(response, "invalid")
    assert world() == before


# --- used ----------------------------------------------------------------------------------------


def test_a_confirmation_link_used_twice_says_already_confirmed_and_changes_nothing(
    client, signature
):
    url = link_in(as_sent(emails_of("signature_confirm")[0]).text, "signatures/confirm")
    first = client.post(url)
    assert first.status_code == 200
    assert "letters/signature_confirmed.html" in _templates(first)
    before = world()

    second = client.post(url)

    assert second.status_code == 200
    assert "letters/signature_confirm.html" in _templates(second)
    page = text_of(second)
    assert "Already confirmed" in page
    assert "This signature has already been confirmed" in page
    assert "Yes, confirm the signature" not in page
    assert world() == before


def test_the_confirmation_page_of_a_confirmed_signature_offers_no_button(client, signature):
    services.confirm_signature(signature=signature)

    response = client.get(confirm_path(signature))

    assert "Already confirmed" in text_of(response)
    assert "Yes, confirm the signature" not in text_of(response)


@pytest.mark.parametrize("status", [S.WITHDRAWN, S.EXPIRED, S.REJECTED])
def test_confirming_a_signature_that_ended_changes_nothing(client, signature, status):
    in_state(signature, status)
    before = world()

    response = client.post(confirm_path(signature))

    assert response.status_code == 200
    assert "This signature is no longer live" in text_of(response)
    assert world() == before


def test_a_confirmation_link_after_publication_changes_nothing(client, letter, owner, signature):
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    before = world()

    response = client.post(confirm_path(signature))

    assert response.status_code == 200
    assert "The letter has been published" in text_of(response)
    assert world() == before


def test_an_invitation_link_used_once_no_longer_works(client, open_letter, owner):
    services.invite(
        letter=open_letter,
        actor=owner,
        email="info@tibetwatch.example.net",
        organisation_name="Tibet Watch",
    )
    url = link_in(as_sent(emails_of("invitation")[0]).text, "invitations")
    data = {
        "organisation_name": "Tibet Watch",
        "signer_name": "Lhamo",
        "signer_email": "lhamo@tibetwatch.example.net",
        "visibility": "public",
        "consent": "on",
    }
    assert client.post(url, data).status_code == 302
    before = world()

    again = client.post(url, {**data, "signer_name": "Someone else"})

    assert again.status_code == 410
    assert "letters/link_used.html" in _templates(again)
    assert "It has already been used to sign" in text_of(again)
    assert world() == before


def test_an_unknown_invitation_secret_is_not_valid(client, open_letter):
    before = world()

    response = client.post(reverse("letters:sign-invitation", args=["no-such-secret"]))

    _assert_link_invalid(response, "invalid")
    assert world() == before


# --- a GET or HEAD of any email link changes nothing ---------------------------------------------


def _every_email_link(letter, owner) -> dict[str, str]:
    """The links of every signing email, taken from the emails themselves."""
    signature = sign(letter)
    services.update_letter(letter=letter, actor=owner, body="A new demand.", substantive=True)
    services.invite(
        letter=letter,
        actor=owner,
        email="info@tibetwatch.example.net",
        organisation_name="Tibet Watch",
    )
    confirm_email = as_sent(emails_of("signature_confirm")[0]).text
    reconfirm_email = as_sent(emails_of("signature_reconfirm")[0]).text
    links = {
        "confirm": link_in(confirm_email, "signatures/confirm"),
        "manage": link_in(confirm_email, "signatures/manage"),
        "reconfirm": link_in(reconfirm_email, "signatures/reconfirm"),
        "reconfirm-manage": link_in(reconfirm_email, "signatures/manage"),
        "invitation": link_in(as_sent(emails_of("invitation")[0]).text, "invitations"),
    }
    assert Signature.objects.get().pk == signature.pk
    return links


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("role", [None, "signer", "owner", "moderator"])
def test_opening_any_email_link_changes_nothing(client, request, letter, owner, method, role):
    links = _every_email_link(letter, owner)
    if role is not None:
        client.force_login(request.getfixturevalue(role))
    before = world()

    for name, url in links.items():
        # Scanners open links more than once, with and without query strings
        for target in (url, url + "?utm_source=scanner"):
            response = getattr(client, method)(target)
            assert response.status_code == 200, (name, response.status_code)

    assert world() == before


def test_the_email_link_pages_each_offer_a_button_that_posts(client, letter, owner):
    links = _every_email_link(letter, owner)

    for name in ("confirm", "manage", "reconfirm", "invitation"):
        content = client.get(links[name]).content.decode()
        assert '<form method="post"' in content, name


def test_a_head_request_returns_no_body_but_the_same_status(client, signature):
    response = client.head(confirm_path(signature))

    assert response.status_code == 200
    assert response.content == b""


# --- what the links do on POST -------------------------------------------------------------------


def test_the_manage_link_narrows_the_visibility(client, signature):
    response = client.post(
        manage_path(signature), {"action": "visibility", "visibility": "counted_only"}
    )

    assert response.status_code == 302
    signature.refresh_from_db()
    assert (signature.visibility, signature.show_signer_name) == ("counted_only", False)


def test_the_manage_link_only_asks_to_show_the_signers_name(client, signature):
    response = client.post(
        manage_path(signature),
        {"action": "visibility", "visibility": "counted_only", "show_signer_name": "on"},
    )

    assert response.status_code == 302
    signature.refresh_from_db()
    assert (signature.visibility, signature.show_signer_name) == ("public", False)
    assert emails_of("signature_widen")[0].to == signature.signer_email


def test_the_manage_link_refuses_an_unknown_visibility(client, signature):
    before = world()

    response = client.post(manage_path(signature), {"action": "visibility", "visibility": "secret"})

    assert response.status_code == 200
    assert list(response.context["visibility_form"].errors) == ["visibility"]
    assert world() == before


def test_the_manage_link_withdraws_only_with_the_box_ticked(client, signature):
    before = world()
    unticked = client.post(manage_path(signature), {"action": "withdraw"})
    assert unticked.status_code == 200
    assert world() == before

    ticked = client.post(manage_path(signature), {"action": "withdraw", "confirm": "on"})

    assert ticked.status_code == 302
    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    assert [e.kind for e in OutboundEmail.objects.order_by("pk")] == [
        "signature_confirm",
        "signature_withdrawn",
    ]


def test_after_publication_the_manage_link_only_withdraws(client, letter, owner, signature):
    in_state(signature, S.APPROVED)
    services.close_letter(letter=letter, actor=owner)
    services.publish_letter(letter=letter, actor=owner)
    before = world()

    page = client.get(manage_path(signature))
    visibility = client.post(
        manage_path(signature), {"action": "visibility", "visibility": "counted_only"}
    )

    assert "how your organisation appears can no longer change" in text_of(page)
    assert visibility.status_code == 200
    assert "its list is final" in text_of(visibility)
    assert world() == before

    withdraw = client.post(manage_path(signature), {"action": "withdraw", "confirm": "on"})

    assert withdraw.status_code == 302
    signature.refresh_from_db()
    assert (signature.status, signature.visibility) == (S.WITHDRAWN, "public")


def test_an_unknown_manage_action_changes_nothing(client, signature):
    before = world()

    response = client.post(manage_path(signature), {"action": "delete", "confirm": "on"})

    assert response.status_code == 200
    assert world() == before


def test_the_reconfirm_link_moves_the_signature_to_the_new_version(
    client, letter, owner, signature
):
    in_state(signature, S.APPROVED)
    version = services.update_letter(
        letter=letter, actor=owner, body="New demand.", substantive=True
    )
    url = link_in(as_sent(emails_of("signature_reconfirm")[0]).text, "signatures/reconfirm")

    page = client.get(url)
    assert "We support version 2" in text_of(page)
    response = client.post(url)

    assert response.status_code == 302
    signature.refresh_from_db()
    assert (signature.version, signature.version_hash) == (version, version.content_hash)


def test_a_reconfirm_link_for_a_superseded_version_changes_nothing(
    client, letter, owner, signature
):
    in_state(signature, S.APPROVED)
    services.update_letter(letter=letter, actor=owner, body="Second.", substantive=True)
    stale = reconfirm_path(signature, 2)
    services.update_letter(letter=letter, actor=owner, body="Third.", substantive=True)
    before = world()

    page = client.get(stale)
    response = client.post(stale)

    assert "The text changed again since this email was sent" in text_of(page)
    assert response.status_code == 200
    assert "use the newest email" in text_of(response)
    assert world() == before


# --- The re-confirm page: the words as read, and a way out (issue 15, item 8) -------------------


def test_the_reconfirm_page_shows_what_changed_without_markdown_syntax(
    client, letter, owner, signature
):
    # Given a signer of a text with Markdown, and a new version that changes a heading, a bold
    # demand and a link's destination
    in_state(signature, S.APPROVED)
    signed = services.update_letter(
        letter=letter,
        actor=owner,
        body="## What we ask\n\nWe **urge** you to [act now](https://example.org/old).",
        substantive=False,
    )
    # (set up directly: the signer signed that text)
    Signature.objects.filter(pk=signature.pk).update(
        version=signed, version_hash=signed.content_hash
    )
    services.update_letter(
        letter=letter,
        actor=owner,
        body="## What we demand\n\nWe **urge** you to [act today](https://example.org/new).",
        substantive=True,
    )
    url = reconfirm_path(signature, 3)

    html = client.get(url).content.decode()

    diff = html[html.index('<div class="diff">') : html.index("</div>", html.index('class="diff"'))]
    assert "**" not in diff
    assert "##" not in diff
    assert "](" not in diff
    assert "<del>ask</del>" in diff
    assert "<ins>demand</ins>" in diff
    assert "We urge you to" in diff  # unchanged words, without their asterisks
    assert "https://example.org/new" in diff  # a changed destination shows
    # The whole new version is there, rendered and sanitised
    assert "<h2>What we demand</h2>" in html


def test_markup_in_a_new_version_is_text_in_the_reconfirm_diff(client, letter, owner, signature):
    in_state(signature, S.APPROVED)
    services.update_letter(
        letter=letter,
        actor=owner,
        body='New <script>alert(1)</script> <img src=x onerror="alert(2)"> demand.',
        substantive=True,
    )

    html = client.get(reconfirm_path(signature, 2)).content.decode()

    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_an_organisation_can_withdraw_from_the_reconfirm_page(client, letter, owner, signature):
    in_state(signature, S.APPROVED)
    services.update_letter(letter=letter, actor=owner, body="New demand.", substantive=True)
    url = reconfirm_path(signature, 2)
    assert "If your organisation cannot support the new text" in text_of(client.get(url))

    # Without ticking the confirmation: refused, nothing changes
    before = world()
    refused = client.post(url, {"action": "withdraw"})
    assert refused.status_code == 200
    assert "There is a problem" in text_of(refused)
    assert world() == before

    response = client.post(url, {"action": "withdraw", "confirm": "on"})

    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    assert "has been withdrawn" in text_of(client.get(url))
