"""Issue 11, item 2: registering an organisation suggests only organisations whose page is public.

An unverified organisation known only because it signed counted-only must not be listed to
whoever types a name like it at /organisations/new/. A match on it goes to the moderators
(a flag in the admin), never to the person registering."""

import pytest
from django.urls import reverse

from organisations.models import Organisation, OrganisationFlag
from tests.factories import LetterFactory, OrganisationFactory, SignatureFactory

HIDDEN = "Uyghur Lawyers Collective"


@pytest.fixture
def hidden(db):
    organisation = OrganisationFactory(name=HIDDEN, slug="uyghur-lawyers-collective")
    SignatureFactory(
        organisation=organisation, letter=LetterFactory(), approved=True, visibility="counted_only"
    )
    return organisation


def _register(client, name: str):
    return client.post(reverse("organisations:create"), {"name": name})


@pytest.mark.django_db
def test_a_similar_hidden_organisation_is_not_suggested_but_flagged(client, signer, hidden):
    client.force_login(signer)
    response = _register(client, "Uyghur Lawyer Collective")
    assert HIDDEN not in response.content.decode()
    assert hidden.slug not in response.content.decode()
    # Nothing else was alike: it is registered as if the hidden one did not exist.
    assert response.status_code == 302
    created = Organisation.objects.get(name="Uyghur Lawyer Collective")
    flag = OrganisationFlag.objects.get()
    assert (flag.organisation, flag.other) == (created, hidden)
    assert flag.kind == OrganisationFlag.Kind.LIKE_HIDDEN


@pytest.mark.django_db
def test_an_exact_hidden_match_is_never_named_and_goes_to_moderators(client, signer, hidden):
    client.force_login(signer)
    response = _register(client, "Uyghur Lawyers  Collective")
    page = response.content.decode()
    assert hidden.slug not in page
    assert "already registered" not in page
    assert not hidden.memberships.exists()
    flag = OrganisationFlag.objects.get()
    assert flag.organisation == hidden
    assert flag.raised_by == signer


@pytest.mark.django_db
def test_a_public_organisation_is_still_suggested(client, signer):
    OrganisationFactory(name="Tibet Watch", slug="tibet-watch", is_verified=True)
    client.force_login(signer)
    response = _register(client, "Tibet Watc")
    assert "Tibet Watch" in response.content.decode()
    assert response.status_code == 200
