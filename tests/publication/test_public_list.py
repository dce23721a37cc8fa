"""The public list on the letter page: approved signatures only, lead organisations first,
grouped by place or A–Z in collation order for every script, searchable, the unnamed ones
one line with their number, the headline count."""

import re

import pytest
from django.urls import reverse

from letters import collation, services
from letters.models import Signature
from tests.factories import OrganisationFactory
from tests.letters.signing_helpers import text_of

from .conftest import CJK_NAME, TIBETAN_NAME, UYGHUR_NAME, V, sign_as

pytestmark = pytest.mark.django_db


def _groups(response) -> list[tuple[str, list[str]]]:
    """(heading, [names]) of the list as rendered."""
    html = response.content.decode()
    section = html[html.index('id="signatories"') :]
    found = []
    for heading, items in re.findall(
        r'<h3 class="signatory-group">(.*?)</h3>\s*<ul class="signatories">(.*?)</ul>',
        section,
        re.S,
    ):
        names = re.findall(
            r'<a href="/organisations/[^"]+" dir="auto"(?: lang="[^"]+")?>(.*?)</a>', items
        )
        found.append((re.sub(r"<[^>]+>", "", heading).strip(), names))
    return found


def test_the_list_is_grouped_by_place_with_lead_organisations_first(
    client, owner, public_open_letter
):
    # Given approved signatories in three places, one of them a lead organisation
    lead = OrganisationFactory(name="Zeta Lead Network", based_in="Tibet")
    services.update_letter(letter=public_open_letter, actor=owner, lead_organisations=[lead])
    sign_as(public_open_letter, "", organisation=lead)
    sign_as(public_open_letter, "Students for a Free Tibet", based_in="Tibet")
    sign_as(public_open_letter, "Amnesty International", based_in="UK")
    sign_as(public_open_letter, "Hong Kong Watch", based_in="hong  kong")
    sign_as(public_open_letter, "Hong Kong Democracy Council", based_in="Hong Kong")
    sign_as(public_open_letter, "No Place Given", based_in="")
    # and signatures that are not (yet, or any more) approved
    for status in ("pending_confirmation", "pending_review", "rejected", "withdrawn", "expired"):
        sign_as(public_open_letter, f"Not approved {status}", status=status)

    # When anyone opens the letter page
    response = client.get(public_open_letter.get_absolute_url())

    # Then leads come first, then places in order (spellings that differ only in case and
    # spaces are one place), "place not given" last; only approved signatures appear
    assert _groups(response) == [
        ("Lead organisations", ["Zeta Lead Network"]),
        ("Hong Kong", ["Hong Kong Democracy Council", "Hong Kong Watch"]),
        ("Tibet", ["Students for a Free Tibet"]),
        ("UK", ["Amnesty International"]),
        ("Place not given", ["No Place Given"]),
    ]
    assert "Signed by 6 organisations from 3 places." in text_of(response)
    assert "Not approved" not in response.content.decode()


def test_the_alphabetical_order_sorts_every_script(client, public_open_letter):
    for name, place in [
        ("Zeta Rights", "UK"),
        ("Éire Human Rights", "Ireland"),
        ("eagle Watch", "USA"),
        ("Łódź Legal Aid", "Poland"),
        ("Lodz Action", "Poland"),
        (CJK_NAME, "Hong Kong"),
        (TIBETAN_NAME, "Tibet"),
        (UYGHUR_NAME, "East Turkestan"),
    ]:
        sign_as(public_open_letter, name, based_in=place)

    response = client.get(public_open_letter.get_absolute_url() + "?order=name")

    # Accented Latin beside its base letter, then Arabic script, Tibetan, Chinese
    assert _groups(response) == [
        (
            "Organisations",
            [
                "eagle Watch",
                "Éire Human Rights",
                "Lodz Action",
                "Łódź Legal Aid",
                "Zeta Rights",
                UYGHUR_NAME,
                TIBETAN_NAME,
                CJK_NAME,
            ],
        )
    ]
    # In the A–Z order each name says where the organisation is based
    assert 'Éire Human Rights</a> <span class="muted">(<bdi>Ireland</bdi>)' in (
        response.content.decode()
    )


def test_places_are_ordered_by_the_same_collation(client, public_open_letter):
    for name, place in [
        ("A", "Östergötland"),
        ("B", "Zanzibar"),
        ("C", "Oman"),
        ("D", "東京"),
        ("E", "Ürümqi"),
    ]:
        sign_as(public_open_letter, f"Organisation {name}", based_in=place)

    response = client.get(public_open_letter.get_absolute_url())

    assert [heading for heading, _ in _groups(response)] == [
        "Oman",
        "Östergötland",
        "Ürümqi",
        "Zanzibar",
        "東京",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tibet", ["Students for a Free Tibet", "Tibet Action Institute"]),
        ("TÍBET", ["Students for a Free Tibet", "Tibet Action Institute"]),
        ("eire", ["Éire Human Rights"]),
        ("人權", [CJK_NAME]),
        ("བུད་མེད", [TIBETAN_NAME]),
        ("ئۇيغۇر", [UYGHUR_NAME]),
        ("nothing like this", []),
    ],
)
def test_search_finds_named_organisations_by_name(client, public_open_letter, query, expected):
    for name in [
        "Students for a Free Tibet",
        "Tibet Action Institute",
        "Éire Human Rights",
        CJK_NAME,
        TIBETAN_NAME,
        UYGHUR_NAME,
    ]:
        sign_as(public_open_letter, name)

    response = client.get(public_open_letter.get_absolute_url(), {"q": query, "order": "name"})

    found = [name for _, names in _groups(response) for name in names]
    assert found == expected
    suffix = "matches" if len(expected) == 1 else "match"
    assert f"{len(expected)} named organisation{'s' if len(expected) != 1 else ''} {suffix}" in (
        text_of(response)
    )


def test_searching_for_a_hidden_organisation_finds_nothing_and_says_nothing(
    client, public_open_letter, hidden_and_named
):
    hidden_and_named(public_open_letter)

    for query in ("Recipient Only", "Counted Only", "Underground"):
        response = client.get(public_open_letter.get_absolute_url(), {"q": query})

        assert _groups(response) == []
        assert "0 named organisations match" in text_of(response)
        assert "Recipient Only Rights Group" not in response.content.decode()
        assert "Counted Only Underground Network" not in response.content.decode()


def test_the_unnamed_are_one_line_and_counted_in_the_total(
    client, public_open_letter, hidden_and_named
):
    hidden_and_named(public_open_letter)
    sign_as(public_open_letter, "Second Counted", visibility=V.COUNTED_ONLY, based_in="Nowhere")

    response = client.get(public_open_letter.get_absolute_url())

    page = text_of(response)
    # 2 named + 1 recipient only + 2 counted only; places only of the named (Tibet, Hong Kong)
    assert "Signed by 5 organisations from 2 places." in page
    assert "and 3 organisations that cannot be named for their safety." in page
    assert _groups(response) == [
        ("Hong Kong", ["Hong Kong Watch"]),
        ("Tibet", ["Tibet Watch"]),
    ]


def test_a_signer_is_named_only_if_they_opted_in_and_emails_never(
    client, public_open_letter, hidden_and_named
):
    signatures = hidden_and_named(public_open_letter)

    response = client.get(public_open_letter.get_absolute_url())

    html = response.content.decode()
    assert 'Tibet Watch</a> <span class="muted">— <bdi>Pema Dolma, Director</bdi></span>' in html
    assert signatures["public_no_name"].signer_name not in html
    assert "@" not in html.split('id="signatories"')[1].split("</section>")[0]


def test_one_organisation_reads_in_the_singular(client, public_open_letter):
    sign_as(public_open_letter, "Only One", based_in="Tibet")

    response = client.get(public_open_letter.get_absolute_url())

    assert "Signed by 1 organisation from 1 place." in text_of(response)


def test_no_signatory_yet(client, public_open_letter):
    response = client.get(public_open_letter.get_absolute_url())

    page = text_of(response)
    assert "Signed by 0 organisations." in page
    assert "No organisation has signed yet." in page


def test_a_long_list_is_paginated_and_each_page_keeps_its_group_headings(
    client, settings, public_open_letter
):
    settings.SIGNATORIES_PER_PAGE = 3
    for n in range(4):
        sign_as(public_open_letter, f"Tibet Group {n}", based_in="Tibet")
    sign_as(public_open_letter, "UK Group", based_in="UK")
    url = public_open_letter.get_absolute_url()

    first = client.get(url)
    second = client.get(url, {"signatories-page": 2})
    beyond = client.get(url, {"signatories-page": 9})

    assert _groups(first) == [("Tibet", ["Tibet Group 0", "Tibet Group 1", "Tibet Group 2"])]
    assert _groups(second) == [("Tibet", ["Tibet Group 3"]), ("UK", ["UK Group"])]
    assert _groups(beyond) == _groups(second)
    assert "Page 1 of 2" in text_of(first)
    # The headline counts every signatory, not the page
    assert "Signed by 5 organisations from 2 places." in text_of(second)


def test_an_unknown_order_falls_back_to_places(client, public_open_letter):
    sign_as(public_open_letter, "Tibet Group", based_in="Tibet")

    response = client.get(public_open_letter.get_absolute_url(), {"order": "<script>"})

    assert _groups(response) == [("Tibet", ["Tibet Group"])]
    assert "<script>" not in response.content.decode().split('id="signatories"')[1]


def test_the_version_each_signature_covers_is_shown_when_older(client, owner, public_open_letter):
    sign_as(public_open_letter, "Signed Early")
    services.update_letter(letter=public_open_letter, actor=owner, body="A corrected text.")
    sign_as(public_open_letter, "Signed Late")

    response = client.get(public_open_letter.get_absolute_url())

    html = response.content.decode()
    assert re.search(r"Signed Early</a>.*?signed version 1", html)
    assert not re.search(r"Signed Late</a>[^<]*<span class=\"badge\">", html)


def test_collation_keys_are_stable_and_case_insensitive():
    ordered = sorted(["b", "B", "a", "Á"], key=collation.sort_key)
    again = sorted(["Á", "a", "B", "b"], key=collation.sort_key)

    assert ordered == again
    assert [n.casefold() for n in ordered[:2]] == ["a", "á"]
    assert collation.search_key("ＨＲＷ Tíbet") == "hrw tibet"
    # Tibetan vowel signs are letters, not accents: they are kept
    assert collation.search_key("བོད") == "བོད"


def test_the_letter_page_links_each_organisation_to_its_public_page(client, public_open_letter):
    signature = sign_as(public_open_letter, "Tibet Watch")
    url = reverse("organisations:detail", kwargs={"slug": signature.organisation.slug})

    response = client.get(public_open_letter.get_absolute_url())

    assert f'<a href="{url}" dir="auto">Tibet Watch</a>' in response.content.decode()
    assert client.get(url).status_code == 200
    assert Signature.objects.count() == 1
