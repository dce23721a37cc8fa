"""The exports: the PDF in its public and recipient editions (the text read back from the PDF),
the public and the coordinators' CSV (streamed, formula cells defused), the press summary."""

import csv
import datetime as dt
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from letters import exports, services
from letters.models import Letter
from tests.factories import OrganisationFactory

from .conftest import CJK_NAME, TIBETAN_NAME, UYGHUR_NAME, V, body_of, pdf_text, sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status


def _rows(response) -> list[list[str]]:
    text = body_of(response)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    # The comment lines above the header ("# Signed by …") are not rows
    return [row for row in csv.reader(io.StringIO(text[1:])) if not row[0].startswith("# ")]


# --- PDF ---------------------------------------------------------------------------------------


def test_the_public_pdf_has_the_text_and_every_named_signatory(client, published_with_list):
    letter, _ = published_with_list
    version = letter.versions.get(is_current=True)

    response = client.get(reverse("letters:pdf", args=[letter.slug]))

    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        letter.title,
        "The Secretary of State",
        "We, the undersigned organisations, urge you to raise human rights",
        "Release those detained for peaceful expression.",
        f"1, {version.created_at:%-d %B %Y}",
        version.content_hash[:32],
        "Signed by 7 organisations from 2 places.",
        "Tibet Watch",
        "Pema Dolma, Director",
        "Hong Kong Watch",
        "and 2 organisations that cannot be named for their safety.",
        "by hand",
    ):
        assert expected in text, expected
    # Text extraction puts spaces inside Tibetan syllables (after vowel signs), so names in
    # other scripts are compared without spaces; the screenshots in the README show them.
    for name in (CJK_NAME, TIBETAN_NAME, UYGHUR_NAME):
        assert name.replace(" ", "") in text.replace(" ", ""), name
    assert "NOT FOR PUBLICATION" not in text
    assert "Recipient Only Rights Group" not in text


def test_the_recipient_edition_also_names_the_recipient_only_and_is_marked(
    client, owner, published_with_list
):
    letter, _ = published_with_list
    client.force_login(owner)

    response = client.get(reverse("letters:pdf-recipient", args=[letter.slug]))

    text = pdf_text(response.content)
    assert "NOT FOR PUBLICATION — RECIPIENT EDITION" in text
    assert "Recipient Only Rights Group [recipient only]" in text
    assert "Tibet Watch" in text
    assert "Counted Only Underground Network" not in text
    assert "and 1 organisation that cannot be named for its safety." in text
    assert response["Cache-Control"] == "private, no-store"


def test_the_recipient_edition_and_contacts_are_for_coordinators_and_moderators_only(
    client, published_with_list, other_coordinator, moderator, signer
):
    letter, _ = published_with_list
    urls = [
        reverse("letters:pdf-recipient", args=[letter.slug]),
        reverse("letters:csv-coordinator", args=[letter.slug]),
        reverse("letters:publication", args=[letter.slug]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    for user, expected in ((signer, 404), (other_coordinator, 404), (moderator, 200)):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [expected] * 3, user


def test_the_pdf_renderer_fetches_nothing(monkeypatch, make_letter):
    # Given a page that asks for an image, a stylesheet, a font and an internal address
    letter = make_letter(S.OPEN, signatories_public_while_open=True)
    hostile = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        "<style>@font-face { font-family: X; src: url(file:///etc/fonts/x.ttf); }"
        " body { background: url(http://169.254.169.254/latest/meta-data/); }</style>"
        '</head><body><p>The text.</p><img src="file:///etc/passwd"></body></html>'
    )
    monkeypatch.setattr(exports, "render_to_string", lambda *args, **kwargs: hostile)
    asked = []

    def recording_refusal(url, *args, **kwargs):
        asked.append(url)
        raise exports.FetchRefused(url)

    monkeypatch.setattr(exports, "refuse_to_fetch", recording_refusal)

    # When the PDF is rendered
    pdf = exports.letter_pdf(letter)

    # Then every resource was asked of the refusing fetcher, and the PDF still came out
    assert sorted(asked) == sorted(
        [
            "http://127.0.0.1:9/x.css",
            "file:///etc/fonts/x.ttf",
            "http://169.254.169.254/latest/meta-data/",
            "file:///etc/passwd",
        ]
    )
    assert "The text." in pdf_text(pdf)


def test_the_refusing_fetcher_refuses_every_url():
    for url in ("https://example.org/x.png", "file:///etc/passwd", "data:image/png;base64,AA=="):
        with pytest.raises(exports.FetchRefused):
            exports.refuse_to_fetch(url)


def test_the_pdf_is_rendered_once_and_then_served_from_the_cache(
    monkeypatch, client, published_with_list
):
    letter, _ = published_with_list
    url = reverse("letters:pdf", args=[letter.slug])
    first = client.get(url).content
    monkeypatch.setattr(exports, "render_pdf", lambda *a: pytest.fail("rendered again"))

    again = client.get(url).content

    assert again == first


def test_a_change_to_the_list_renders_a_new_pdf(client, public_open_letter):
    sign_as(public_open_letter, "First Signatory")
    url = reverse("letters:pdf", args=[public_open_letter.slug])
    before = pdf_text(client.get(url).content)

    signature = sign_as(public_open_letter, "Second Signatory", status="pending_review")
    from letters.services import decide_signatures
    from tests.factories import make_moderator

    decide_signatures(signature_ids=[signature.pk], moderator=make_moderator(), approve=True)
    after = pdf_text(client.get(url).content)

    assert "Second Signatory" not in before
    assert "Second Signatory" in after


# --- CSV ---------------------------------------------------------------------------------------


def test_the_public_csv_lists_named_organisations_place_and_date(client, published_with_list):
    letter, signatures = published_with_list

    response = client.get(reverse("letters:csv", args=[letter.slug]))

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{letter.slug}-signatories.csv"'
    )
    day = signatures["public"].confirmed_at.date().isoformat()
    text = body_of(response)
    # How many signed, and how many cannot be named, is said above the header, never as a row
    assert text.startswith(
        "\ufeff# Signed by 7 organisations from 2 places.\r\n"
        "# 2 organisations cannot be named for their safety and are not listed below.\r\n"
        "Organisation,"
    )
    rows = [row for row in csv.reader(io.StringIO(text[1:])) if not row[0].startswith("# ")]
    assert rows[0] == [
        "Organisation",
        "Based in",
        "Signed on",
        "Withdrawn after delivery",
        "Version signed",
    ]
    assert sorted(rows[1:]) == sorted(
        [
            ["Tibet Watch", "Tibet", day, "", "1"],
            ["Hong Kong Watch", "Hong Kong", day, "", "1"],
            [CJK_NAME, "Hong Kong", day, "", "1"],
            [TIBETAN_NAME, "Tibet", day, "", "1"],
            [UYGHUR_NAME, "", day, "", "1"],
        ]
    )
    # Every row is an organisation: a spreadsheet's count of rows is the named ones
    assert all(row[0] and row[2] == day for row in rows[1:])


def test_csv_cells_that_would_run_as_formulas_are_defused(client, public_open_letter):
    for name in ('=HYPERLINK("http://evil")', "+33 Rights", "-Minus Group", "@SUM(A1)"):
        sign_as(public_open_letter, name, based_in="=1+1")
    sign_as(public_open_letter, "Tab Group", based_in="\tTabbed")

    rows = _rows(client.get(reverse("letters:csv", args=[public_open_letter.slug])))

    cells = {cell for row in rows[1:] for cell in row[:2]}
    assert cells == {
        '\'=HYPERLINK("http://evil")',
        "'+33 Rights",
        "'-Minus Group",
        "'@SUM(A1)",
        "'=1+1",
        "Tab Group",
        "'\tTabbed",
    }


def test_the_coordinator_csv_adds_signers_contacts_and_authority(
    client, owner, published_with_list
):
    letter, signatures = published_with_list
    client.force_login(owner)

    response = client.get(reverse("letters:csv-coordinator", args=[letter.slug]))

    assert isinstance(response, StreamingHttpResponse)
    rows = _rows(response)
    assert rows[0] == [
        "Organisation",
        "Based in",
        "Visibility",
        "Signer's name",
        "Signer's title",
        "Signer's email",
        "Name shown publicly",
        "Authority",
        "Version signed",
        "Signed on",
        "Status",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    day = signatures["public"].confirmed_at.date().isoformat()
    assert by_name["Tibet Watch"] == [
        "Tibet Watch",
        "Tibet",
        "Public: named on the public list",
        "Pema Dolma",
        "Director",
        "pema.secret@tibetwatch.example.net",
        "yes",
        "Not established: a moderator decides",
        "1",
        day,
        "approved",
    ]
    assert by_name["Counted Only Underground Network"][5] == "co.contact@underground.example.net"
    assert len(rows) == 1 + 7


def test_the_public_csv_does_not_exist_under_embargo(client, embargoed_letter):
    sign_as(embargoed_letter, "Tibet Watch")

    response = client.get(reverse("letters:csv", args=[embargoed_letter.slug]))

    assert response.status_code == 404


# --- Press summary -----------------------------------------------------------------------------


def test_the_press_summary_names_three_public_organisations_leads_first(client, owner, make_letter):
    letter = make_letter(S.CLOSED)
    lead = OrganisationFactory(name="Human Rights Watch", based_in="USA")
    services.update_letter(letter=letter, actor=owner, lead_organisations=[lead])
    sign_as(letter, "", organisation=lead)
    for name in ("Amnesty International", "Free Tibet", "Zeta Group"):
        sign_as(letter, name)
    sign_as(letter, "A Secret Ally", visibility=V.RECIPIENT_ONLY)
    services.publish_letter(letter=letter, actor=owner, delivered_on=dt.date(2026, 3, 2))
    client.force_login(owner)

    response = client.get(reverse("letters:publication", args=[letter.slug]))

    assert response.context["press_summary"] == (
        "5 organisations, including Human Rights Watch, Amnesty International and Free Tibet, "
        f"urged the Secretary of State in a joint letter delivered on 2 March 2026: "
        f"“{letter.title}”.\n\n"
        f"{letter.summary}\n\n"
        f"http://127.0.0.1:8000{letter.get_absolute_url()}"
    )
    assert "A Secret Ally" not in response.content.decode()


def test_the_publication_page_offers_the_embed_code(client, owner, public_open_letter):
    client.force_login(owner)

    response = client.get(reverse("letters:publication", args=[public_open_letter.slug]))

    embed_url = f"http://127.0.0.1:8000/letters/{public_open_letter.slug}/embed/"
    assert response.context["embed_code"] == (
        f'<iframe src="{embed_url}" title="{public_open_letter.title}" width="360" '
        'height="220" loading="lazy" style="border:0"></iframe>'
    )


def test_a_long_list_runs_on_in_the_pdf_and_keeps_every_name(monkeypatch, public_open_letter):
    monkeypatch.setattr(exports, "PDF_LIST_MAX_NAMES", 2)
    names = ["Alpha Rights", "Beta Watch", "Gamma Network", CJK_NAME]
    for name in names:
        sign_as(public_open_letter, name, based_in="Tibet")

    text = pdf_text(exports.letter_pdf(public_open_letter))

    assert "Alpha Rights · Beta Watch · Gamma Network · " in text
    assert CJK_NAME in text
