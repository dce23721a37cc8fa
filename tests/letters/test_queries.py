"""Query counts of the letters pages: exact, and the same however much data there is.

Each test runs the page on a small and on a large data set and asserts the same exact number
of queries, listed one by one in the comment above it.
"""

import pytest
from django.urls import reverse

from letters import services
from letters.models import Letter
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

S = Letter.Status


def _open_letters(make_letter, count: int) -> list[Letter]:
    return [make_letter(S.OPEN, title=f"Letter {n}") for n in range(count)]


def _with_versions(letter: Letter, owner, count: int) -> Letter:
    for n in range(2, count + 1):
        services.update_letter(letter=letter, actor=owner, body=f"Text, revision {n}.")
    return letter


@pytest.mark.parametrize("letters", [2, 30])
def test_the_index_takes_two_queries(
    client, django_assert_num_queries, make_letter, owner, letters
):
    # Given open, closed and published letters (30 is more than one page)
    created = _open_letters(make_letter, letters)
    services.close_letter(letter=created[0], actor=owner)
    services.publish_letter(letter=created[0], actor=owner)
    services.close_letter(letter=created[1], actor=owner)

    # When an anonymous visitor opens the index, then (no session cookie, so no session query):
    #   1. COUNT of the open and published letters, for the paginator
    #   2. the letters of the page (title, summary, status and dates are columns of the row)
    with django_assert_num_queries(2):
        response = client.get(reverse("letters:index"))

    assert response.status_code == 200


@pytest.mark.parametrize(("versions", "leads"), [(1, 0), (20, 3)])
def test_the_letter_page_takes_six_queries_for_its_first_visitor_then_one(
    client, django_assert_num_queries, make_letter, owner, versions, leads
):
    letter = make_letter(S.OPEN, lead_organisations=OrganisationFactory.create_batch(leads))
    _with_versions(letter, owner, versions)

    #   1. the letter's stamp (selectors.public_letter_stamp): is the page kept? Not yet
    #   2. the letter by its slug (permissions.get_visible_letter; an open letter needs no
    #      coordinator check)
    #   3. its current version with its author (prefetch onto that same letter)
    #   4. its lead organisations (prefetch)
    #   5. every version, for the table of SHA-256 fingerprints
    #   6. its current translations (which texts the page offers; issue 14)
    # The list is under embargo while open: not even its number is read (tests/publication
    # counts the queries of a public list).
    with django_assert_num_queries(6):
        response = client.get(letter.get_absolute_url())
    # The next visitor: the stamp, then the page kept in the cache
    with django_assert_num_queries(1):
        again = client.get(letter.get_absolute_url())

    assert response.status_code == 200
    assert len(response.context["versions"]) == versions
    assert again.content == response.content


@pytest.mark.parametrize(("versions", "leads"), [(1, 0), (20, 3)])
def test_the_letter_page_takes_nine_queries_for_its_coordinator(
    client, django_assert_num_queries, make_letter, owner, versions, leads
):
    letter = make_letter(S.DRAFT, lead_organisations=OrganisationFactory.create_batch(leads))
    _with_versions(letter, owner, versions)
    client.force_login(owner)

    #   1. the session
    #   2. the user
    #   3. the user's groups (cached on the user for the rest of the request: the 2FA
    #      middleware, the navigation and the permission checks ask again for free)
    #   4. the user's authenticators (the staff 2FA middleware)
    #   5. the letter by its slug
    #   6. the user's coordinator role on it (a draft: permissions.get_visible_letter; cached
    #      on the letter, so the view's own role check reuses it)
    #   7. its current version with its author (prefetch onto that same letter)
    #   8. its lead organisations (prefetch)
    #   9. every version, for the table of SHA-256 fingerprints
    #  10. its current translations (which texts the page offers; issue 14)
    # (the list is under embargo: nothing of it is read)
    with django_assert_num_queries(10):
        response = client.get(letter.get_absolute_url())

    assert response.status_code == 200
    assert response.context["role"].user == owner


@pytest.mark.parametrize("letters", [2, 30])
def test_the_dashboard_takes_seven_queries(
    client, django_assert_num_queries, make_letter, owner, letters
):
    _open_letters(make_letter, letters)
    client.force_login(owner)

    #   1. the session
    #   2. the user
    #   3. the user's groups (the coordinator check; cached on the user afterwards)
    #   4. the user's authenticators (the staff 2FA middleware)
    #   5. COUNT of the letters the user coordinates, for the paginator
    #   6. the letters of the page, with their invitation and signature counts (subqueries)
    #   7. the user's own coordinator row of each letter on the page (prefetch: "Your role")
    with django_assert_num_queries(7):
        response = client.get(reverse("letters:dashboard"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(letters, 20)


@pytest.mark.parametrize("versions", [2, 20])
def test_the_history_page_takes_seven_queries(
    client, django_assert_num_queries, make_letter, owner, versions
):
    letter = _with_versions(make_letter(S.OPEN), owner, versions)
    client.force_login(owner)

    #   1. the session
    #   2. the user
    #   3. the user's groups
    #   4. the user's authenticators (the staff 2FA middleware)
    #   5. the letter by its slug (permissions.get_coordinated_letter)
    #   6. the user's coordinator role on it
    #   7. every version with its author; the two compared are taken from that list
    with django_assert_num_queries(7):
        response = client.get(reverse("letters:versions", args=[letter.slug]))

    assert response.status_code == 200
    assert len(response.context["versions"]) == versions
