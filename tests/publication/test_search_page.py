"""A visitor's search of a letter's list is served from the page kept around it (issue 16):
byte for byte the page rendered in full, for every query, order and language; one query; and
never for a person with a session, another text, or a list that changed since."""

import gzip

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from letters import services
from letters.models import Letter
from tests.factories import make_moderator

from .conftest import V, sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status
QUERIES = [
    "Tibet Watch",
    "香港",
    "ئۇيغۇر",
    "no such organisation",
    'a&b<c>"',
    "  Tibet   Watch  ",
]


@pytest.fixture
def letter(make_letter) -> Letter:
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    sign_as(letter, "Tibet Watch", based_in="UK")
    sign_as(letter, "香港民主委員會", based_in="Hong Kong")
    sign_as(letter, "ئۇيغۇر ياشلار تورى", based_in="Turkey")
    sign_as(letter, "A Recipient Only Org", visibility=V.RECIPIENT_ONLY)
    return letter


def _get(letter: Letter, query: str, **extra) -> tuple[bytes, list[str]]:
    client = Client(HTTP_ACCEPT_ENCODING="gzip")
    response = client.get(reverse("letters:detail", args=[letter.slug]), {"q": query, **extra})
    assert response.status_code == 200
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return body, [t.name for t in response.templates]


@pytest.mark.parametrize(
    "extra", [{}, {"order": "name"}, {"lang": "ug"}, {"lang": "zh-hans", "order": "name"}]
)
def test_the_kept_page_is_the_page_rendered_in_full(letter, extra):
    for query in QUERIES:
        cache.clear()
        full, rendered = _get(letter, query, **extra)
        assert "letters/letter_detail.html" in rendered

        kept, rendered_again = _get(letter, query, **extra)

        assert "letters/letter_detail.html" not in rendered_again  # only the section
        assert kept == full, (query, extra)


def test_one_search_keeps_the_page_for_every_other_search(letter):
    _get(letter, "Tibet")

    page, rendered = _get(letter, "香港")

    assert "letters/letter_detail.html" not in rendered
    text = page.decode()
    assert "香港民主委員會" in text
    assert "keptsearchpage" not in text
    assert "q=%E9%A6%99%E6%B8%AF&amp;lang=ug" in text  # the language links carry this search


def test_a_kept_search_is_one_query(letter, django_assert_num_queries):
    _get(letter, "Tibet")

    with django_assert_num_queries(1):  # the letter (selectors.public_letter)
        _get(letter, "Watch")


def test_no_recipient_only_name_is_ever_found(letter):
    _get(letter, "Tibet")

    page, _rendered = _get(letter, "Recipient Only")

    assert "A Recipient Only Org" not in page.decode()


def test_an_approval_and_a_withdrawal_show_in_the_next_search(letter):
    signature = sign_as(letter, "Tibet Justice Center", status="pending_review")
    before, _rendered = _get(letter, "Tibet")
    _get(letter, "Tibet")  # from the kept page

    services.approve_signature(signature=signature, moderator=make_moderator())
    approved, _rendered = _get(letter, "Tibet")
    _get(letter, "Tibet")
    services.withdraw_signature(signature=signature)
    withdrawn, _rendered = _get(letter, "Tibet")

    assert "Tibet Justice Center" not in before.decode()
    assert "Tibet Justice Center" in approved.decode()
    assert "Tibet Justice Center" not in withdrawn.decode()


@pytest.mark.parametrize("who", ["member", "session", "text"])
def test_a_search_of_one_person_or_another_text_is_rendered_in_full(letter, who, django_user_model):
    _get(letter, "Tibet")
    client = Client()
    params = {"q": "Tibet"}
    if who == "member":
        client.force_login(django_user_model.objects.create(email="reader@example.org"))
    elif who == "session":
        client.cookies["sessionid"] = "not-a-session"
    else:
        params["text"] = "en"

    response = client.get(reverse("letters:detail", args=[letter.slug]), params)

    assert response.status_code == 200
    assert "letters/letter_detail.html" in [t.name for t in response.templates]


def test_a_draft_is_not_found(make_letter):
    draft = make_letter(S.DRAFT)

    response = Client().get(reverse("letters:detail", args=[draft.slug]), {"q": "x"})

    assert response.status_code == 404
