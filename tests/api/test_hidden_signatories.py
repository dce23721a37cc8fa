"""No withheld name in any public answer of the API: recipient-only and counted-only
organisations (and their places), signers who did not opt in, every email, and every name of
a list that is not public (embargoed while collecting, closed before publication, a draft).
Searched in the raw bytes of every answer, as written and JSON-escaped."""

import json

import pytest
from django.urls import reverse

from .conftest import WITHHELD, auth

pytestmark = pytest.mark.django_db


def _forms(secret: str) -> set[bytes]:
    """A name as the answer could hold it: UTF-8, or escaped by a JSON encoder."""
    return {secret.encode(), json.dumps(secret)[1:-1].encode()}


def public_answers(client, letters, secret: str | None) -> dict[str, bytes]:
    """Every public answer about every letter, every order and page size, with this token."""
    urls = [reverse("api:letters"), reverse("api:letters") + "?page_size=1&page=2"]
    for letter in (
        letters.published,
        letters.public_open,
        letters.embargoed,
        letters.closed_embargoed,
        letters.draft,
        letters.others_draft,
    ):
        urls.append(reverse("api:letter", args=[letter.slug]))
        for order in ("name", "place"):
            for size in (1, 100):
                urls.append(
                    reverse("api:signatories", args=[letter.slug])
                    + f"?order={order}&page_size={size}"
                )
    answers = {}
    for url in urls:
        response = client.get(url, **auth(secret))
        assert response.status_code in (200, 404), url
        answers[url] = response.content
    return answers


@pytest.mark.parametrize("role", ["anonymous", "signer", "coordinator"])
def test_no_withheld_name_in_any_public_answer(client, letters, secrets_by_role, role):
    # Given letters signed in every visibility, under embargo, closed and in draft
    # When anyone reads every public endpoint (a token changes nothing on them: even the
    # letters' own coordinator reads the public record there, not the records)
    answers = public_answers(client, letters, secrets_by_role[role])

    # Then no withheld name, place or email is in any answer
    for url, body in answers.items():
        for secret in WITHHELD:
            for form in _forms(secret):
                assert form not in body, f"{secret!r} leaked in {url}"
    # while the public names are there
    published = answers[
        reverse("api:signatories", args=[letters.published.slug]) + "?order=name&page_size=100"
    ]
    assert b"Tibet Watch" in published
    assert b"Hong Kong Watch" in published
    assert b"Pema Dolma, Director" in published  # the signer who opted in
    assert (
        b"Open Letter Public Signatory"
        in answers[
            reverse("api:signatories", args=[letters.public_open.slug])
            + "?order=name&page_size=100"
        ]
    )


def test_the_public_list_says_what_the_page_says(client, letters):
    # Given the published letter: 2 named, 1 recipient-only and 1 counted-only
    body = json.loads(client.get(reverse("api:signatories", args=[letters.published.slug])).content)

    # Then the numbers are the page's, and only the public names are listed
    assert body["public"] is True
    assert (body["total"], body["unnamed"], body["count"]) == (4, 2, 2)
    assert [s["name"] for s in body["results"]] == ["Hong Kong Watch", "Tibet Watch"]
    assert [s["signer"] for s in body["results"]] == ["", "Pema Dolma, Director"]
    page = client.get(letters.published.get_absolute_url()).content.decode()
    assert "and 2 organisations that cannot be named for their safety" in page


@pytest.mark.parametrize("which", ["embargoed", "closed_embargoed"])
def test_a_list_that_is_not_public_gives_no_name_and_no_number(client, letters, which):
    letter = getattr(letters, which)

    listed = json.loads(client.get(reverse("api:signatories", args=[letter.slug])).content)
    detail = json.loads(client.get(reverse("api:letter", args=[letter.slug])).content)

    assert listed == {
        "public": False,
        "total": 0,
        "unnamed": 0,
        "unnamed_earlier": 0,
        "withdrawn_after_delivery": 0,
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert detail["signatories"] == {
        "public": False,
        "total": 0,
        "named": 0,
        "unnamed": 0,
        "places": 0,
        "withdrawn_after_delivery": 0,
    }
    assert detail["lead_organisations"] == []
    assert detail["delivery"] is None


def test_the_records_name_everyone_for_the_letters_coordinator(client, letters, secrets_by_role):
    """The other side: the same withheld organisations are in the coordinator's records (so
    the test above would see them if a public answer read the records)."""
    body = client.get(
        reverse("api:signatures", args=[letters.published.slug]),
        **auth(secrets_by_role["coordinator"]),
    ).content

    for secret in ("Recipient Only Rights Group", "Counted Only Underground Network"):
        assert secret.encode() in body
    assert b"co.contact@underground.example.net" in body


def test_the_letter_shows_its_responses_as_its_page_does(client, owner, letters):
    # Given a response recorded on the published letter after delivery
    from letters import services
    from letters.models import LetterResponse

    url = reverse("api:letter", args=[letters.published.slug])
    tag = client.get(url)["ETag"]
    services.record_response(
        letter=letters.published,
        actor=owner,
        kind=LetterResponse.Kind.RESPONSE,
        received_on=letters.published.published_at.date(),
        from_whom="The Secretary's office",
        text="We have read your letter.",
    )

    # When a client holding the earlier answer asks again
    response = client.get(url, HTTP_IF_NONE_MATCH=tag)

    # Then it gets the new answer, with the response, as the page shows it
    assert response.status_code == 200
    [answer] = json.loads(response.content)["responses"]
    assert answer["kind"] == "response"
    assert answer["from_whom"] == "The Secretary's office"
    assert answer["text"] == "We have read your letter."
    assert answer["document_url"] is None
    assert (
        "The Secretary&#x27;s office"
        in client.get(letters.published.get_absolute_url()).content.decode()
    )


def test_an_organisation_that_withdrew_after_delivery_is_counted_never_named(
    client, owner, published_with_list, secrets_by_role
):
    """It may be withdrawing for its safety: public answers count it, as the page does; its
    coordinators' records keep it, marked."""
    from letters import services

    letter, signatures = published_with_list
    url = reverse("api:signatories", args=[letter.slug])
    tag = client.get(url)["ETag"]

    services.withdraw_signature(signature=signatures["public_no_name"])

    response = client.get(url, HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 200  # the withdrawal changed the list's stamp
    body = json.loads(response.content)
    assert "Hong Kong Watch" not in response.content.decode()
    assert body["withdrawn_after_delivery"] == 1
    detail = json.loads(client.get(reverse("api:letter", args=[letter.slug])).content)
    assert "Hong Kong Watch" not in json.dumps(detail, ensure_ascii=False)
    assert detail["signatories"]["withdrawn_after_delivery"] == 1
    records = json.loads(
        client.get(
            reverse("api:signatures", args=[letter.slug]), **auth(secrets_by_role["coordinator"])
        ).content
    )["results"]
    marked = [
        r["organisation"]["name"] for r in records if r["status"] == "withdrawn_after_delivery"
    ]
    assert marked == ["Hong Kong Watch"]
