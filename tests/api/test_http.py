"""The API's HTTP behaviour: ETags and 304 on public answers, cache headers, pagination with
a bounded page size, rate limits (429 with Retry-After), and query counts that stay the same
however many signed."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from api.pagination import MAX_PAGE_SIZE
from letters import services
from letters.models import Letter
from tests.publication.test_cache_and_queries import bulk_signatories

from .conftest import auth, new_secret, sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status


@pytest.fixture
def public_letter(make_letter):
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    bulk_signatories(letter, 5)
    cache.clear()  # the rows above were written directly, past the services' invalidation
    return letter


# --- ETag and cache headers ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["api:letter", "api:signatories", "api:letters"])
def test_a_client_holding_the_answer_gets_304(client, public_letter, name):
    url = reverse(name, args=[public_letter.slug] if name != "api:letters" else [])
    first = client.get(url)
    tag = first["ETag"]

    again = client.get(url, HTTP_IF_NONE_MATCH=tag)

    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=60"
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_etag_changes_when_the_list_does(client, owner, public_letter):
    url = reverse("api:signatories", args=[public_letter.slug])
    tag = client.get(url)["ETag"]

    # A change of the letter through the services (its updated_at)
    services.update_letter(letter=public_letter, actor=owner, summary="A new summary")

    changed = client.get(url, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag


def test_the_etag_differs_per_page_and_order(client, public_letter):
    url = reverse("api:signatories", args=[public_letter.slug])

    tags = {
        client.get(url, query)["ETag"]
        for query in ({}, {"page_size": 2}, {"page_size": 2, "page": 2}, {"order": "place"})
    }

    assert len(tags) == 4


def test_token_answers_are_private_and_never_stored(client, owner, public_letter):
    secret = new_secret(owner)

    for name in ("api:signatures", "api:invitations"):
        response = client.get(reverse(name, args=[public_letter.slug]), **auth(secret))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert "Authorization" in response["Vary"]
        assert not response.has_header("ETag")
    response = client.get(reverse("api:my-letters"), **auth(secret))
    assert response["Cache-Control"] == "private, no-store"


# --- Pagination ----------------------------------------------------------------------------------


def test_the_public_list_is_paginated(client, public_letter):
    url = reverse("api:signatories", args=[public_letter.slug])

    first = json.loads(client.get(url, {"page_size": 2}).content)
    last = json.loads(client.get(url, {"page_size": 2, "page": 3}).content)

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["next"].endswith("page=2&page_size=2")
    assert first["previous"] is None
    assert len(last["results"]) == 1
    assert last["next"] is None
    everyone = json.loads(client.get(url).content)["results"]
    assert [s["name"] for s in everyone] == [
        s["name"]
        for s in first["results"]
        + json.loads(client.get(url, {"page_size": 2, "page": 2}).content)["results"]
        + last["results"]
    ]


def test_the_page_size_is_bounded(client, make_letter):
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    bulk_signatories(letter, MAX_PAGE_SIZE + 10)
    cache.clear()

    body = json.loads(
        client.get(reverse("api:signatories", args=[letter.slug]), {"page_size": 100_000}).content
    )

    assert body["count"] == MAX_PAGE_SIZE + 10
    assert len(body["results"]) == MAX_PAGE_SIZE


def test_a_page_past_the_end_is_404(client, public_letter):
    response = client.get(reverse("api:signatories", args=[public_letter.slug]), {"page": 99})

    assert response.status_code == 404


# --- Rate limits -------------------------------------------------------------------------------


def test_an_anonymous_client_over_its_limit_gets_429_with_retry_after(client, settings):
    settings.API_RATE_ANONYMOUS_PER_MINUTE = 3
    url = reverse("api:letters")

    answers = [client.get(url).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = client.get(url)
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another client (another address) is not held back
    assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_each_token_has_its_own_limit(client, settings, owner, signer):
    settings.API_RATE_ANONYMOUS_PER_MINUTE = 1
    settings.API_RATE_TOKEN_PER_MINUTE = 2
    url = reverse("api:letters")
    mine, theirs = new_secret(owner), new_secret(signer)

    answers = [client.get(url, **auth(mine)).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert int(client.get(url, **auth(mine))["Retry-After"]) >= 1
    # Another token, and an anonymous request from the same address, count apart
    assert client.get(url, **auth(theirs)).status_code == 200
    assert client.get(url).status_code == 200


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("signatories", [10, 2000])
def test_public_answers_take_the_same_queries_however_many_signed(
    client, django_assert_num_queries, make_letter, signatories
):
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    bulk_signatories(letter, signatories)
    sign_as(letter, "A withheld organisation", visibility="recipient_only")
    cache.clear()
    detail = reverse("api:letter", args=[letter.slug])
    listed = reverse("api:signatories", args=[letter.slug])

    # The first request, nothing cached:
    #   1. the letter's stamp (selectors.public_letter_stamp: the ETag is made of it)
    #   2. the letter  3. its current version  4. its lead organisations (prefetch)
    #   5. the approved signatures, one row each (then the list is cached)
    #   6. every version, for their SHA-256  7. the responses and updates after delivery
    with django_assert_num_queries(7):
        client.get(detail)
    # The list from the cache: the stamp and the letter
    with django_assert_num_queries(2):
        response = client.get(listed, {"page_size": 500})
    # A client holding the answer: the stamp only
    with django_assert_num_queries(1):
        client.get(listed, {"page_size": 500}, HTTP_IF_NONE_MATCH=response["ETag"])

    body = json.loads(response.content)
    assert body["total"] == signatories + 1
    assert body["unnamed"] == 1


@pytest.mark.parametrize("signatures", [10, 300])
def test_records_take_the_same_queries_however_many_signed(
    client, django_assert_num_queries, make_letter, owner, signatures
):
    letter = make_letter(S.OPEN)
    bulk_signatories(letter, signatures)
    sign_as(letter, "A withheld organisation", visibility="recipient_only")
    sign_as(letter, "A counted organisation", visibility="counted_only")
    for n in range(signatures // 10):
        services.invite(
            letter=letter,
            actor=owner,
            email=f"contact{n}@ngo.example.net",
            organisation_name=f"NGO {n}",
        )
    secret = new_secret(owner)
    client.get(reverse("api:my-letters"), **auth(secret))  # the token's first use is noted

    #   1. the token with its user  2. the letter  3. the token user's coordinator role
    #   4. the signatures on the record  5–6. their organisations, in clear and sealed
    #   7. the counts per state
    with django_assert_num_queries(7):
        response = client.get(reverse("api:signatures", args=[letter.slug]), **auth(secret))
    assert json.loads(response.content)["count"] == signatures + 2
    #   1. the token  2. the letter  3. the role  4. how many invitations  5. a page of them
    #   with their emails' states  6. the counts per state
    with django_assert_num_queries(6):
        response = client.get(reverse("api:invitations", args=[letter.slug]), **auth(secret))
    assert json.loads(response.content)["count"] == signatures // 10
