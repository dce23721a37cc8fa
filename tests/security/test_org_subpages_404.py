"""Issue 11, item 3: an organisation's sub-pages answer as its page does.

The page of a hidden organisation (unverified, known only because it signed counted-only) is a
404, the same as for a name nobody registered. Its members, edit and domains pages, and the
POST-only actions under it, must not answer 403 where a page that does not exist answers 404:
the difference tells anyone who guesses a slug that Undersigned knows the organisation."""

import re

import pytest
from django.urls import reverse

from tests.factories import (
    LetterFactory,
    MembershipFactory,
    OrganisationFactory,
    SignatureFactory,
    UserFactory,
)

GET_PAGES = ["detail", "edit", "members", "domains"]
POST_ACTIONS = ["member-role", "member-remove", "invitation-revoke", "domain-remove"]


@pytest.fixture
def hidden(db):
    organisation = OrganisationFactory(name="Quiet Exile Network", slug="quiet-exile-network")
    SignatureFactory(
        organisation=organisation, letter=LetterFactory(), approved=True, visibility="counted_only"
    )
    MembershipFactory(organisation=organisation, role="admin")
    return organisation


def _answer(response, slug: str) -> tuple[int, bytes]:
    """Status and body, the slug asked for blanked (the page links to login with ?next=) and
    the logout form's CSRF token too (masked afresh for every response)."""
    body = response.content.replace(slug.encode(), b"SLUG")
    return response.status_code, re.sub(rb'name="csrfmiddlewaretoken" value="\w+"', b"CSRF", body)


@pytest.mark.django_db
@pytest.mark.parametrize("visitor", ["anonymous", "outsider"])
@pytest.mark.parametrize("name", GET_PAGES)
def test_a_hidden_organisation_answers_like_one_that_does_not_exist(client, hidden, visitor, name):
    if visitor == "outsider":
        client.force_login(UserFactory(email="outsider@probe.example.net"))
    existing = client.get(reverse(f"organisations:{name}", kwargs={"slug": hidden.slug}))
    missing = client.get(reverse(f"organisations:{name}", kwargs={"slug": "no-such-org"}))
    detail = client.get(reverse("organisations:detail", kwargs={"slug": hidden.slug}))
    assert (
        _answer(existing, hidden.slug)
        == _answer(missing, "no-such-org")
        == _answer(detail, hidden.slug)
    )
    assert existing.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("visitor", ["anonymous", "outsider"])
@pytest.mark.parametrize("name", POST_ACTIONS)
def test_a_hidden_organisations_actions_answer_like_missing_ones(client, hidden, visitor, name):
    if visitor == "outsider":
        client.force_login(UserFactory(email="outsider@probe.example.net"))
    membership = hidden.memberships.get()
    existing = client.post(
        reverse(f"organisations:{name}", kwargs={"slug": hidden.slug, "pk": membership.pk}),
        {"role": "admin"},
    )
    missing = client.post(
        reverse(f"organisations:{name}", kwargs={"slug": "no-such-org", "pk": membership.pk}),
        {"role": "admin"},
    )
    assert _answer(existing, hidden.slug) == _answer(missing, "no-such-org")
    assert existing.status_code == 404


@pytest.mark.django_db
def test_a_member_without_the_role_may_be_refused_with_403(client, hidden):
    member = MembershipFactory(organisation=hidden, role="member").user
    client.force_login(member)
    response = client.get(reverse("organisations:edit", kwargs={"slug": hidden.slug}))
    assert response.status_code == 403
    # The page itself is theirs to see.
    assert (
        client.get(reverse("organisations:members", kwargs={"slug": hidden.slug})).status_code
        == 200
    )
