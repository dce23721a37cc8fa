"""Anonymity and embargo on every public surface: the letter page (every order, a search),
the public PDF, the public CSV, the organisation pages and the embed.

- Recipient-only and counted-only organisations are never named publicly; they are one number.
- Signers' names only when they opted in; their emails never.
- Under embargo nothing of the list leaks: no name, and no number either.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.text import slugify

from letters import services
from letters.models import Letter, Signature

from .conftest import SECRETS, body_of, pdf_text, sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status
V = Signature.Visibility


def public_surfaces(client, letter: Letter, organisations) -> dict[str, str]:
    """Every public answer about `letter`, as text, for anonymous visitors."""
    page = letter.get_absolute_url()
    surfaces = {
        "page": body_of(client.get(page)),
        "page A–Z": body_of(client.get(page, {"order": "name"})),
        "page search": body_of(client.get(page, {"q": "Rights"})),
        "embed": body_of(client.get(reverse("letters:embed", args=[letter.slug]))),
        "index": body_of(client.get(reverse("letters:index"))),
        "pdf": pdf_text(client.get(reverse("letters:pdf", args=[letter.slug])).content),
    }
    csv = client.get(reverse("letters:csv", args=[letter.slug]))
    surfaces["csv"] = body_of(csv) if csv.status_code == 200 else ""
    for organisation in organisations:
        surfaces[f"organisation {organisation.name}"] = body_of(
            client.get(organisation.get_absolute_url())
        )
    return surfaces


@pytest.mark.parametrize("state", ["public while open", "published"])
def test_hidden_organisations_and_signers_contacts_appear_on_no_public_surface(
    client, make_letter, owner, hidden_and_named, state
):
    # Given a letter whose list is public, signed with every visibility
    if state == "published":
        letter = make_letter(S.CLOSED)
        signatures = hidden_and_named(letter)
        services.publish_letter(letter=letter, actor=owner)
    else:
        letter = make_letter(S.OPEN, signatories_public_while_open=True)
        signatures = hidden_and_named(letter)
    organisations = [s.organisation for s in signatures.values()]

    # When anyone looks at every public surface
    surfaces = public_surfaces(client, letter, organisations)

    # Then no hidden name, place or contact is anywhere (an organisation's own page names
    # itself, of course); the named ones and the count are
    for name, text in surfaces.items():
        own = next((o for o in organisations if name == f"organisation {o.name}"), None)
        for secret in SECRETS:
            if own is not None and secret in (own.name, own.based_in):
                continue
            assert secret not in text, f"{secret!r} leaked on the {name}"
    for name in ("page", "page A–Z", "pdf", "csv"):
        assert "Tibet Watch" in surfaces[name], name
        assert "Hong Kong Watch" in surfaces[name], name
    assert "and 2 organisations that cannot be named for their safety" in surfaces["page"]
    assert "and 2 organisations that cannot be named for their safety" in surfaces["pdf"]
    assert "2 organisations cannot be named for their safety" in surfaces["csv"]
    assert "Signed by 4 organisations from 2 places." in surfaces["embed"]
    # The named organisations' pages list the letter; the hidden ones' pages do not
    title = letter.title
    assert title in surfaces["organisation Tibet Watch"]
    assert title in surfaces["organisation Hong Kong Watch"]
    assert title not in surfaces["organisation Recipient Only Rights Group"]
    assert title not in surfaces["organisation Counted Only Underground Network"]


@pytest.mark.parametrize("status", [S.OPEN, S.CLOSED])
def test_under_embargo_nothing_of_the_list_leaks_not_even_its_number(
    client, make_letter, hidden_and_named, status
):
    # Given a letter collecting (or closed) with its list private until publication
    letter = make_letter(status)
    signatures = hidden_and_named(letter)
    sign_as(letter, "Another Named Organisation")
    organisations = [s.organisation for s in signatures.values()]

    surfaces = public_surfaces(client, letter, organisations)

    # Then no organisation is named anywhere (but on its own page), and no count is given
    for name, text in surfaces.items():
        own = next((o for o in organisations if name == f"organisation {o.name}"), None)
        for secret in (*SECRETS, "Tibet Watch", "Hong Kong Watch", "Another Named Organisation"):
            if own is not None and secret in (own.name, own.based_in):
                continue
            assert secret not in text, f"{secret!r} leaked on the {name} under embargo"
        assert "Signed by" not in text, name
        assert "cannot be named" not in text, name
        assert "have signed" not in text, name
    assert "will be made public when the letter is published" in surfaces["page"]
    assert "will be made public when the letter is published" in surfaces["pdf"]
    # the text itself is public: the PDF has it
    assert "raise human rights" in surfaces["pdf"]
    # there is no CSV, and no organisation page lists the letter
    assert client.get(reverse("letters:csv", args=[letter.slug])).status_code == 404
    for organisation in organisations:
        assert letter.title not in surfaces[f"organisation {organisation.name}"]


def sign_and_approve(
    letter: Letter, moderator, name: str, email: str, *, based_in: str, **kwargs
) -> Signature:
    """A signature as the site makes one: signed, confirmed through the emailed link, approved
    by a moderator, every step through the services (unlike sign_as), so that the letter's
    cached page and list are invalidated exactly as in production."""
    signature = services.sign_letter(
        letter=letter,
        organisation=services.OrganisationChoice(new_name=name, based_in=based_in),
        signer_email=email,
        consent=True,
        **kwargs,
    )
    services.confirm_signature(signature=signature)
    return services.approve_signature(signature=signature, moderator=moderator)


def test_under_embargo_the_letter_page_is_the_same_with_or_without_signatures(
    client, make_letter, moderator
):
    # The page of an embargoed letter must not even change when someone signs: its size or
    # content would tell a watcher that an organisation just signed.
    # Given an embargoed letter that any organisation may sign, as a visitor sees it
    letter = make_letter(S.OPEN, sign_on_mode=Letter.SignOnMode.OPEN)
    page = letter.get_absolute_url()
    embed = reverse("letters:embed", args=[letter.slug])
    before = client.get(page).content
    embed_before = client.get(embed).content

    # When organisations of every visibility sign, confirm and are approved, as on the site
    for name, visibility, show_signer_name in (
        ("Tibet Watch", V.PUBLIC, True),
        ("Hong Kong Watch", V.PUBLIC, False),
        ("Recipient Only Rights Group", V.RECIPIENT_ONLY, False),
        ("Counted Only Underground Network", V.COUNTED_ONLY, False),
    ):
        sign_and_approve(
            letter,
            moderator,
            name,
            f"contact@{slugify(name)}.example.net",
            based_in="Lhasa",
            signer_name="Pema Dolma",
            visibility=visibility,
            show_signer_name=show_signer_name,
        )
    # the next visitor's page (the approvals moved the page's cache key), and the page
    # rendered from an empty cache, whatever the services invalidated
    after = client.get(page).content
    cache.clear()
    rendered = client.get(page).content
    embed_after = client.get(embed).content

    # Then nothing tells that anyone signed
    assert Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED).count() == 4
    assert after == before
    assert rendered == before
    assert embed_after == embed_before


def test_the_embargoed_list_appears_at_publication_and_not_before(
    client, make_letter, owner, hidden_and_named
):
    letter = make_letter(S.OPEN)
    hidden_and_named(letter)
    services.close_letter(letter=letter, actor=owner)
    closed = client.get(letter.get_absolute_url())

    services.publish_letter(letter=letter, actor=owner)
    published = client.get(letter.get_absolute_url())

    assert "Tibet Watch" not in closed.content.decode()
    assert "Tibet Watch" in published.content.decode()
    assert "Signed by 4 organisations from 2 places." in published.content.decode()


def test_turning_the_public_list_off_hides_it_again_at_once(
    client, owner, public_open_letter, hidden_and_named
):
    hidden_and_named(public_open_letter)
    shown = client.get(public_open_letter.get_absolute_url())

    services.update_letter(
        letter=public_open_letter, actor=owner, signatories_public_while_open=False
    )
    hidden = client.get(public_open_letter.get_absolute_url())

    assert "Tibet Watch" in shown.content.decode()
    assert "Tibet Watch" not in hidden.content.decode()
    assert "Signed by" not in hidden.content.decode()
    assert client.get(reverse("letters:csv", args=[public_open_letter.slug])).status_code == 404


def test_a_draft_has_no_public_surface(client, draft_letter):
    for name in ("letters:detail", "letters:pdf", "letters:csv", "letters:embed"):
        assert client.get(reverse(name, args=[draft_letter.slug])).status_code == 404, name
