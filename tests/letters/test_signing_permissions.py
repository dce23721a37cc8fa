"""Who may open each signing page (DESIGN.md §7), and who sees signers' contact details.

Roles: anonymous; `signer`, a member of another organisation; `member` of the signing
organisation; `other_coordinator`, coordinating another letter; the letter's `owner` and
`editor`; a `moderator`. A GET never changes anything, whoever sends it.
"""

import pytest
from django.urls import reverse

from letters import services, tokens
from letters.models import Letter, Signature
from letters.urls import urlpatterns
from tests.emails import as_sent
from tests.factories import MembershipFactory, UserFactory
from tests.letters.signing_helpers import (
    SIGNER_EMAIL,
    confirm_path,
    emails_of,
    in_state,
    link_in,
    manage_path,
    open_mode_letter,
    reconfirm_path,
    sign,
    sign_form_data,
    world,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "signer", "member", "other_coordinator", "owner", "editor", "moderator"]


@pytest.fixture
def member(organisation):
    user = UserFactory(email="dawa@tibetaction.example.net")
    MembershipFactory(organisation=organisation, user=user)
    return user


@pytest.fixture
def scene(make_letter, owner, organisation):
    """An open letter with one approved signature of `organisation`, a substantive change
    since (so a re-confirmation link exists), and a live invitation."""
    letter = open_mode_letter(make_letter)
    signature = in_state(sign(letter, organisation=organisation), Signature.Status.APPROVED)
    services.update_letter(letter=letter, actor=owner, body="A new demand.", substantive=True)
    services.invite(
        letter=letter,
        actor=owner,
        email="info@tibetwatch.example.net",
        organisation_name="Tibet Watch",
    )
    return {
        "letter": letter,
        "signature": signature,
        "invitation_url": link_in(as_sent(emails_of("invitation")[0]).text, "invitations"),
    }


def widen_path(signature) -> str:
    signature.refresh_from_db()
    token = tokens.make_widening_token(
        signature_id=signature.pk,
        visibility="public",
        show_signer_name=True,
        state=tokens.state_fingerprint(
            visibility=signature.visibility,
            show_signer_name=signature.show_signer_name,
            updated_at=signature.updated_at.isoformat(),
        ),
    )
    return reverse("letters:signature-widen", args=[token])


def _url(name: str, scene: dict) -> str:
    letter, signature = scene["letter"], scene["signature"]
    return {
        "letters:sign": lambda: reverse(name, args=[letter.slug]),
        "letters:sign-sent": lambda: reverse(name, args=[letter.slug]),
        "letters:sign-invitation": lambda: scene["invitation_url"],
        "letters:signature-confirm": lambda: confirm_path(signature),
        "letters:signature-manage": lambda: manage_path(signature),
        "letters:signature-reconfirm": lambda: reconfirm_path(signature, 2),
        "letters:signature-widen": lambda: widen_path(signature),
        "letters:signature-widened": lambda: reverse(name),
        "letters:signature-erase": lambda: reverse(
            name,
            args=[
                tokens.make_erasure_token(
                    signature_id=signature.pk,
                    withdraw=False,
                    state=services.data_requests._fingerprint(signature),
                )
            ],
        ),
        "letters:signature-erased": lambda: reverse(name),
        "letters:signature-withdraw": lambda: reverse(name, args=[signature.pk]),
        "letters:my-signatures": lambda: reverse(name),
        "letters:letter-signatures": lambda: reverse(name, args=[letter.slug]),
    }[name]()


EVERYONE = dict.fromkeys(ROLES, 200)
MEMBERS_ONLY = {**dict.fromkeys(ROLES, 404), "anonymous": "login", "member": 200}
LOGGED_IN = {**EVERYONE, "anonymous": "login"}
COORDINATORS_AND_MODERATORS = {
    **dict.fromkeys(ROLES, 404),
    "anonymous": "login",
    "owner": 200,
    "editor": 200,
    "moderator": 200,
}

# Every URL of the signing workflow and who may GET it; the test below fails when a signing URL
# is added without an entry here.
MATRIX = {
    "letters:sign": EVERYONE,
    "letters:sign-sent": EVERYONE,
    "letters:sign-invitation": EVERYONE,  # the secret is the permission
    "letters:signature-confirm": EVERYONE,  # so is the signed token
    "letters:signature-manage": EVERYONE,
    "letters:signature-reconfirm": EVERYONE,
    "letters:signature-widen": EVERYONE,  # a signed, one-hour, single-use token
    "letters:signature-widened": EVERYONE,
    "letters:signature-erase": EVERYONE,  # a signed, one-hour, single-use token
    "letters:signature-erased": EVERYONE,
    "letters:signature-withdraw": MEMBERS_ONLY,
    "letters:my-signatures": LOGGED_IN,
    "letters:letter-signatures": COORDINATORS_AND_MODERATORS,
}


def _login(client, request, role: str):
    if role == "anonymous":
        return None
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user


def _assert_answer(response, expected) -> None:
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected


def test_every_signing_url_has_an_entry_in_the_matrix():
    names = {
        f"letters:{pattern.name}"
        for pattern in urlpatterns
        if pattern.callback.__module__ == "letters.views.signing"
    }

    assert names == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(MATRIX))
def test_who_may_open_each_signing_page(client, request, scene, name, role):
    # Given the roles exist before anything is measured
    for other in ROLES[1:]:
        request.getfixturevalue(other)
    url = _url(name, scene)
    _login(client, request, role)
    before = world()

    # When they open the page
    response = client.get(url)

    # Then only those allowed see it, and nobody's visit changes anything
    _assert_answer(response, MATRIX[name][role])
    assert world() == before


@pytest.mark.parametrize("role", ROLES)
def test_only_a_member_of_the_organisation_can_withdraw_its_signature(client, request, scene, role):
    for other in ROLES[1:]:
        request.getfixturevalue(other)
    signature = scene["signature"]
    _login(client, request, role)
    before = world()

    response = client.post(_url("letters:signature-withdraw", scene), {"confirm": "on"})

    signature.refresh_from_db()
    if role == "member":
        assert response.status_code == 302
        assert signature.status == Signature.Status.WITHDRAWN
    else:
        _assert_answer(response, MEMBERS_ONLY[role])
        assert signature.status == Signature.Status.APPROVED
        assert world() == before


# --- contact details -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_signer_contact_details_are_shown_only_to_coordinators_and_moderators(
    client, request, scene, role
):
    for other in ROLES[1:]:
        request.getfixturevalue(other)
    _login(client, request, role)

    response = client.get(_url("letters:letter-signatures", scene))

    expected = COORDINATORS_AND_MODERATORS[role]
    _assert_answer(response, expected)
    assert (SIGNER_EMAIL in response.content.decode()) == (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_no_other_page_shows_the_signers_email(client, request, scene, role):
    for other in ROLES[1:]:
        request.getfixturevalue(other)
    _login(client, request, role)
    letter = scene["letter"]
    urls = [_url(name, scene) for name in MATRIX if name != "letters:letter-signatures"]
    urls += [reverse("letters:detail", args=[letter.slug]), reverse("letters:index")]

    for url in urls:
        response = client.get(url, follow=True)
        assert SIGNER_EMAIL not in response.content.decode(), url


def test_the_signers_name_is_not_public_unless_they_opt_in(client, scene):
    letter = scene["letter"]
    Letter.objects.filter(pk=letter.pk).update(signatories_public_while_open=True)

    response = client.get(reverse("letters:detail", args=[letter.slug]))

    assert scene["signature"].signer_name not in response.content.decode()


# --- drafts --------------------------------------------------------------------------------------

DRAFT_VISIBLE_TO = {"owner", "editor"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["letters:sign", "letters:sign-sent"])
def test_a_drafts_sign_pages_are_not_found_except_for_its_coordinators(
    client, request, make_letter, name, role
):
    letter = open_mode_letter(make_letter, Letter.Status.DRAFT)
    _login(client, request, role)
    before = world()

    response = client.get(reverse(name, args=[letter.slug]))
    posted = client.post(reverse(name, args=[letter.slug]), sign_form_data())

    if role in DRAFT_VISIBLE_TO:
        assert (response.status_code, posted.status_code) == (200, 200)
        assert 'name="signer_email"' not in response.content.decode()  # a preview, no form
    else:
        assert (response.status_code, posted.status_code) == (404, 404)
    assert world() == before


@pytest.mark.parametrize("role", ROLES)
def test_a_drafts_signature_list_is_only_for_its_coordinators(client, request, make_letter, role):
    letter = open_mode_letter(make_letter, Letter.Status.DRAFT)
    _login(client, request, role)

    response = client.get(reverse("letters:letter-signatures", args=[letter.slug]))

    expected = {**COORDINATORS_AND_MODERATORS, "moderator": 404}[role]
    _assert_answer(response, expected)


@pytest.mark.parametrize("role", ROLES)
def test_an_invitation_to_a_draft_is_held_and_its_link_cannot_be_used_yet(
    client, request, make_letter, owner, role
):
    # Given an invitation to a draft: held, so no email (and no link) has gone anywhere
    letter = make_letter(Letter.Status.DRAFT)
    invitation = services.invite(
        letter=letter, actor=owner, email="info@tibetwatch.example.net", organisation_name="TW"
    )
    assert emails_of("invitation") == []
    # Its link, as it will be sent, does not work before the letter opens, for anyone
    url = reverse("letters:sign-invitation", args=[tokens.invitation_secret(invitation.token_seed)])
    _login(client, request, role)
    before = world()

    response = client.get(url)

    assert response.status_code == 410
    assert letter.title not in response.content.decode()
    assert world() == before
