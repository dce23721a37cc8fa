"""Issue 11, item 4: an organisation's page does not switch on under embargo.

An unverified organisation's page becomes public once it is named on a public list. A public,
approved signature on a letter whose list is embargoed (open, "show signatories while
collecting" off) names it nowhere yet: its page must stay a 404, like a name nobody knows,
on every surface that decides by the same rule."""

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import Letter
from organisations.permissions import has_public_page
from tests.factories import LetterFactory, OrganisationFactory, SignatureFactory


def _signed(letter: Letter):
    organisation = OrganisationFactory(name="Embargoed Voices", slug="embargoed-voices")
    SignatureFactory(organisation=organisation, letter=letter, approved=True, visibility="public")
    return organisation


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Letter.Status.OPEN, Letter.Status.CLOSED, Letter.Status.DRAFT])
def test_an_approved_public_signature_under_embargo_keeps_the_page_hidden(client, status):
    letter = LetterFactory(status=status, signatories_public_while_open=False)
    organisation = _signed(letter)
    assert not has_public_page(organisation)
    response = client.get(reverse("organisations:detail", kwargs={"slug": organisation.slug}))
    missing = client.get(reverse("organisations:detail", kwargs={"slug": "no-such-org"}))
    assert (response.status_code, response.content) == (missing.status_code, missing.content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "while_open"),
    [(Letter.Status.PUBLISHED, False), (Letter.Status.OPEN, True), (Letter.Status.CLOSED, True)],
)
def test_a_signature_on_a_public_list_makes_the_page_public(client, status, while_open):
    published_at = timezone.now() if status == Letter.Status.PUBLISHED else None
    letter = LetterFactory(
        status=status, signatories_public_while_open=while_open, published_at=published_at
    )
    organisation = _signed(letter)
    assert has_public_page(organisation)
    response = client.get(reverse("organisations:detail", kwargs={"slug": organisation.slug}))
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_registration_suggestions_leave_out_an_organisation_under_embargo(client, signer):
    letter = LetterFactory(status=Letter.Status.OPEN, signatories_public_while_open=False)
    _signed(letter)
    client.force_login(signer)
    response = client.post(reverse("organisations:create"), {"name": "Embargoed Voice"})
    assert "Embargoed Voices" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("while_open", [False, True])
def test_the_letter_page_links_only_to_organisation_pages_that_open(client, while_open):
    letter = LetterFactory(status=Letter.Status.OPEN, signatories_public_while_open=while_open)
    organisation = _signed(letter)
    page = client.get(reverse("letters:detail", kwargs={"slug": letter.slug})).content.decode()
    link = f"/organisations/{organisation.slug}/"
    assert (link in page) is while_open
    expected = 200 if while_open else 404
    assert client.get(link).status_code == expected
