"""The embeddable count may be framed by partner sites (its own frame-ancestors); every other
page keeps refusing to be framed (X-Frame-Options: DENY and frame-ancestors 'none')."""

import pytest
from django.urls import reverse

from letters import services
from letters.models import Letter

from .conftest import sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status


def _directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in policy.split(";")
        if " " in part.strip()
    }


def test_the_embed_may_be_framed_by_partner_sites(client, settings, public_open_letter):
    settings.EMBED_FRAME_ANCESTORS = ["https:"]
    sign_as(public_open_letter, "Tibet Watch")

    response = client.get(reverse("letters:embed", args=[public_open_letter.slug]))

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    directives = _directives(response)
    assert directives["frame-ancestors"] == "https:"
    # The rest of the policy is the site's own
    assert directives["script-src"].startswith("'self'")
    assert directives["default-src"] == "'self'"
    assert response.cookies == {}
    assert response["Cache-Control"] == "public, max-age=60"


def test_the_embed_frame_ancestors_are_configurable(client, settings, public_open_letter):
    settings.EMBED_FRAME_ANCESTORS = ["https://partner.example.org", "https://other.example"]

    response = client.get(reverse("letters:embed", args=[public_open_letter.slug]))

    assert _directives(response)["frame-ancestors"] == (
        "https://partner.example.org https://other.example"
    )


def test_the_embed_shows_title_count_and_a_sign_link(client, make_letter):
    letter = make_letter(
        S.OPEN, signatories_public_while_open=True, sign_on_mode=Letter.SignOnMode.OPEN
    )
    sign_as(letter, "Tibet Watch")
    sign_as(letter, "Quiet One", visibility="counted_only")

    content = client.get(reverse("letters:embed", args=[letter.slug])).content.decode()

    base = "http://127.0.0.1:8000"
    assert f'href="{base}{letter.get_absolute_url()}" target="_blank" rel="noopener">' in content
    assert letter.title in content
    assert "Signed by 2 organisations from 1 place." in content
    assert (
        f'<a class="embed-button" href="{base}/letters/{letter.slug}/sign/" target="_blank" '
        'rel="noopener">Sign on behalf of your organisation</a>'
    ) in content
    assert "Tibet Watch" not in content  # a count, not a list
    assert "csrfmiddlewaretoken" not in content


def test_the_embed_of_an_invitation_only_or_published_letter_links_to_the_letter(
    client, owner, make_letter
):
    letter = make_letter(S.CLOSED)
    services.publish_letter(letter=letter, actor=owner)

    content = client.get(reverse("letters:embed", args=[letter.slug])).content.decode()

    assert "/sign/" not in content
    assert ">Read the letter</a>" in content


def test_the_embed_is_the_same_for_a_logged_in_coordinator(client, owner, public_open_letter):
    anonymous = client.get(reverse("letters:embed", args=[public_open_letter.slug])).content
    client.force_login(owner)

    logged_in = client.get(reverse("letters:embed", args=[public_open_letter.slug]))

    assert logged_in.content == anonymous
    assert logged_in.cookies == {}


@pytest.mark.parametrize(
    "url",
    [
        lambda letter: reverse("home"),
        lambda letter: reverse("letters:index"),
        lambda letter: letter.get_absolute_url(),
        lambda letter: reverse("letters:pdf", args=[letter.slug]),
        lambda letter: reverse("letters:csv", args=[letter.slug]),
        lambda letter: reverse("letters:sign", args=[letter.slug]),
        lambda letter: reverse("account_login"),
        lambda letter: reverse("privacy"),
    ],
)
def test_every_other_page_refuses_to_be_framed(client, public_open_letter, url):
    response = client.get(url(public_open_letter))

    assert response["X-Frame-Options"] == "DENY"
    assert _directives(response)["frame-ancestors"] == "'none'"


def test_coordinators_pages_refuse_to_be_framed(client, owner, public_open_letter):
    client.force_login(owner)
    for name in ("letters:publication", "letters:pdf-recipient", "letters:publish"):
        response = client.get(reverse(name, args=[public_open_letter.slug]))
        assert response["X-Frame-Options"] == "DENY", name
        assert _directives(response)["frame-ancestors"] == "'none'", name
