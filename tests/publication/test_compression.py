"""A visitor's letter page and embed are kept gzipped in the cache and sent as they are to a
client that takes gzip (issue 16, core.compression); a page that may hold a secret (a logged-in
visitor's, one with a session) is never compressed by the site (BREACH)."""

import gzip

import pytest
from django.urls import reverse

from core.compression import accepts_gzip
from letters import services
from tests.factories import UserFactory, make_moderator

from .conftest import sign_as

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.fixture
def letter(public_open_letter):
    sign_as(public_open_letter, "Tibet Watch")
    return public_open_letter


def test_a_visitor_who_takes_gzip_gets_the_page_gzipped_the_same_page(client, letter):
    url = letter.get_absolute_url()

    plain = client.get(url)
    first = client.get(url, **GZIP)
    cached = client.get(url, **GZIP)

    assert "Content-Encoding" not in plain
    assert first["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.content) == plain.content
    assert cached.content == first.content
    assert int(first["Content-Length"]) == len(first.content) < len(plain.content) / 2
    for response in (plain, first):
        assert "Accept-Encoding" in response["Vary"]
    assert "Tibet Watch" in plain.content.decode()


def test_the_first_visitor_gets_it_gzipped_too(client, letter):
    first = client.get(letter.get_absolute_url(), **GZIP)

    assert first["Content-Encoding"] == "gzip"
    assert b"Tibet Watch" in gzip.decompress(first.content)


def test_a_search_is_gzipped_for_a_visitor(client, letter):
    response = client.get(letter.get_absolute_url(), {"q": "tibet"}, **GZIP)

    assert response["Content-Encoding"] == "gzip"
    assert b"Tibet Watch" in gzip.decompress(response.content)


def test_a_logged_in_visitors_page_is_never_gzipped(client, letter):
    client.force_login(UserFactory())

    response = client.get(letter.get_absolute_url(), **GZIP)

    assert "Content-Encoding" not in response
    assert b"csrfmiddlewaretoken" in response.content  # the secret BREACH would be after


def test_a_page_with_a_session_is_never_gzipped(client, letter):
    client.cookies["sessionid"] = "whatever"

    response = client.get(letter.get_absolute_url(), {"q": "tibet"}, **GZIP)

    assert "Content-Encoding" not in response


def test_the_embed_is_kept_gzipped_and_keeps_its_framing_policy(client, letter, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://partner.example.org"]
    url = reverse("letters:embed", args=[letter.slug])

    plain = client.get(url)
    zipped = client.get(url, **GZIP)

    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert b"Signed by 1 organisation" in plain.content
    for response in (plain, zipped):
        assert "frame-ancestors https://partner.example.org" in response["Content-Security-Policy"]
        assert "public" in response["Cache-Control"]
        assert "Set-Cookie" not in response


def test_the_embed_follows_the_list(client, letter):
    signature = sign_as(letter, "Free Tibet", status="pending_review")
    url = reverse("letters:embed", args=[letter.slug])
    client.get(url, **GZIP)

    services.approve_signature(signature=signature, moderator=make_moderator())

    assert b"Signed by 2 organisations" in gzip.decompress(client.get(url, **GZIP).content)


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP", True),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0", False),
        ("x-gzip-not", False),
        ("", False),
    ],
)
def test_what_counts_as_taking_gzip(rf, header, takes):
    assert accepts_gzip(rf.get("/", HTTP_ACCEPT_ENCODING=header)) is takes


def test_the_stamp_is_the_letters_and_none_for_a_draft_or_no_letter(letter, draft_letter):
    from letters import selectors

    stamp = selectors.public_letter_stamp(letter.slug)

    assert (stamp.pk, stamp.list_version, stamp.updated_at, stamp.deadline, stamp.status) == (
        letter.pk,
        letter.list_version,
        letter.updated_at,
        letter.deadline,
        letter.status,
    )
    assert stamp.open_to_visitors == (
        letter.is_accepting_signatures and letter.sign_on_mode == letter.SignOnMode.OPEN
    )
    assert selectors.signatory_cache_key(stamp) == selectors.signatory_cache_key(letter)
    assert selectors.public_letter_stamp(draft_letter.slug) is None
    assert selectors.public_letter_stamp("no-such-letter") is None


def test_a_visitors_cached_page_costs_one_query_and_follows_a_change(
    client, letter, django_assert_num_queries
):
    url = letter.get_absolute_url()
    client.get(url, **GZIP)

    with django_assert_num_queries(1):
        cached = client.get(url, {"lang": "en"}, **GZIP)
    signature = sign_as(letter, "Free Tibet", status="pending_review")
    services.approve_signature(signature=signature, moderator=make_moderator())

    assert b"Free Tibet" not in gzip.decompress(cached.content)
    assert b"Free Tibet" in gzip.decompress(client.get(url, **GZIP).content)


def test_a_draft_is_still_a_404_for_a_visitor(client, draft_letter):
    assert client.get(draft_letter.get_absolute_url(), **GZIP).status_code == 404


def test_the_embed_of_a_draft_or_of_nothing_is_a_404(client, draft_letter):
    for slug in (draft_letter.slug, "no-such-letter"):
        assert client.get(reverse("letters:embed", args=[slug]), **GZIP).status_code == 404


def test_a_cached_embed_costs_one_query(client, letter, django_assert_num_queries):
    url = reverse("letters:embed", args=[letter.slug])
    client.get(url, **GZIP)

    with django_assert_num_queries(1):
        assert client.get(url, **GZIP).status_code == 200
