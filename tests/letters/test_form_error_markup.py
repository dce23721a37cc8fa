"""The markup of flash messages and of forms in error (issue 15, item 15), read from the HTML the
views send: messages in a status region that keeps its list intact; forms in error with the
GOV.UK error summary (role="alert", focusable and autofocused, "There is a problem", a link to
each field), "Error: " before the title, and each invalid input marked with aria-invalid and
described by its error's id as well as its help. The browser's side is in
tests/e2e/test_form_errors_e2e.py."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from letters.models import Letter
from tests.factories import PASSWORD, UserFactory
from tests.letters.signing_helpers import open_mode_letter, sign_form_data

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parent: "Element | None"
    children: list["Element"] = field(default_factory=list)
    text: str = ""

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", self.text).strip()

    def find_all(self, predicate) -> list["Element"]:
        found = []
        for child in self.children:
            if predicate(child):
                found.append(child)
            found.extend(child.find_all(predicate))
        return found


class Document(HTMLParser):
    """A forgiving tree of the page: enough to ask which element holds which attributes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.open = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.open[-1])
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        for element in self.open:
            element.text += data

    def by_id(self, element_id: str) -> Element:
        [element] = self.root.find_all(lambda e: e.attrs.get("id") == element_id)
        return element

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return self.root.find_all(
            lambda e: e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        )


def _page(response) -> Document:
    assert response.status_code == 200
    return Document(response.content.decode())


@pytest.fixture
def letter(make_letter) -> Letter:
    return open_mode_letter(make_letter)


def _sign_url(letter: Letter) -> str:
    return reverse("letters:sign", args=[letter.slug])


# --- Flash messages ------------------------------------------------------------------------------


def test_flash_messages_are_a_status_region_around_an_intact_list(client):
    # Given a signer who has just logged in, which leaves a flash message
    user = UserFactory(email="tenzin@ngo.example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    # When the next page is shown
    page = _page(client.get("/"))

    # Then the message sits in a status region that is not the list itself (a role on the
    # <ul> would take its list role away and orphan its items), and the list holds the item
    [status] = page.root.find_all(lambda e: e.attrs.get("role") == "status")
    assert status.tag == "div"
    [messages] = [child for child in status.children if child.tag == "ul"]
    assert "role" not in messages.attrs
    assert [item.tag for item in messages.children] == ["li"]
    assert f"You are logged in as {user.email}." in messages.children[0].words


# --- The sign form in error ----------------------------------------------------------------------


def test_a_sign_form_in_error_opens_on_a_focusable_summary_that_links_to_each_field(client, letter):
    # When the form is sent without an organisation, a visibility, and with a bad email
    response = client.post(
        _sign_url(letter),
        sign_form_data(organisation_name="", visibility=None, signer_email="not-an-email"),
    )

    # Then the page's title starts with "Error: "
    page = _page(response)
    [title] = page.all("title")
    assert title.words.startswith("Error: Sign: ")
    # And a single summary comes first in the form, an alert that takes the focus on load
    [summary] = page.root.find_all(lambda e: "error-summary" in e.attrs.get("class", "").split())
    assert summary.attrs["role"] == "alert"
    assert summary.attrs["tabindex"] == "-1"
    assert "autofocus" in summary.attrs
    assert summary.attrs["aria-labelledby"] == "error-summary-title"
    assert page.by_id("error-summary-title").words == "There is a problem"
    [form] = [
        f
        for f in page.all("form")
        if f.find_all(lambda e: e.tag == "textarea" or e.attrs.get("name") == "signer_name")
    ]
    assert form.find_all(lambda e: e is summary) == [summary]
    # And it links to each field in error, in the form's order, the first radio for a group
    links = [(a.attrs["href"], a.words) for a in summary.find_all(lambda e: e.tag == "a")]
    assert links == [
        ("#id_organisation_name", "Organisation: This field is required."),
        ("#id_signer_email", "Your work email: Enter a valid email address."),
        ("#id_visibility_0", "How may your organisation's name appear?: This field is required."),
    ]
    # And each link's target exists
    for href, _words in links:
        page.by_id(href.removeprefix("#"))


def test_the_sign_forms_organisation_field_is_invalid_and_described_by_its_error(client, letter):
    response = client.post(_sign_url(letter), sign_form_data(organisation_name=""))

    page = _page(response)
    organisation = page.by_id("id_organisation_name")
    assert organisation.attrs["aria-invalid"] == "true"
    assert organisation.attrs["aria-describedby"] == (
        "id_organisation_name_helptext id_organisation_name_error"
    )
    assert page.by_id("id_organisation_name_error").words == "This field is required."
    assert page.by_id("id_organisation_name_helptext").words.startswith("Type its full name.")
    # Fields without a mistake are not marked invalid
    assert "aria-invalid" not in page.by_id("id_signer_name").attrs
    assert "aria-invalid" not in page.by_id("id_signer_email").attrs


def test_a_radio_group_in_error_is_described_by_its_error_on_its_fieldset(client, letter):
    response = client.post(_sign_url(letter), sign_form_data(visibility=None))

    page = _page(response)
    [fieldset] = [
        f for f in page.all("fieldset") if f.find_all(lambda e: e.attrs.get("name") == "visibility")
    ]
    assert fieldset.attrs["aria-describedby"] == "id_visibility_error"
    assert page.by_id("id_visibility_error").words == "This field is required."
    assert page.by_id("id_visibility_0").attrs["aria-invalid"] == "true"


def test_a_sign_form_without_errors_has_no_summary_and_a_plain_title(client, letter):
    page = _page(client.get(_sign_url(letter)))

    [title] = page.all("title")
    assert not title.words.startswith("Error")
    assert page.root.find_all(lambda e: "error-summary" in e.attrs.get("class", "")) == []
    organisation = page.by_id("id_organisation_name")
    assert "aria-invalid" not in organisation.attrs
    assert organisation.attrs["aria-describedby"] == "id_organisation_name_helptext"


# --- Other forms that share the includes ---------------------------------------------------------


def test_the_new_letter_form_in_error_has_the_same_summary_and_title(client, owner):
    # Given a coordinator
    client.force_login(owner)

    # When they send the new letter form without a title
    response = client.post(
        reverse("letters:create"),
        {"title": " ", "recipient": "The Secretary of State", "body": "Text.", "action": "save"},
    )

    # Then it opens on the summary, linking to the title, with "Error: " before the title
    page = _page(response)
    [title] = page.all("title")
    assert title.words.startswith("Error: ")
    [summary] = page.root.find_all(lambda e: "error-summary" in e.attrs.get("class", "").split())
    assert (summary.attrs["role"], summary.attrs["tabindex"]) == ("alert", "-1")
    links = [(a.attrs["href"], a.words) for a in summary.find_all(lambda e: e.tag == "a")]
    assert links == [("#id_title", "Title: This field is required.")]
    assert page.by_id("id_title").attrs["aria-invalid"] == "true"
    assert "id_title_error" in page.by_id("id_title").attrs["aria-describedby"].split()
    assert Letter.objects.count() == 0


# --- Checkbox labels -----------------------------------------------------------------------------


def _checkbox_labels(page: Document) -> dict[str, str]:
    boxes = [e.attrs["id"] for e in page.all("input", type="checkbox") if e.attrs.get("id")]
    labels = {e.attrs.get("for"): e.words for e in page.all("label")}
    return {box: labels[box] for box in boxes if box in labels}


def test_a_checkbox_label_after_its_box_has_no_colon(client, letter):
    # The sign form's checkboxes read as sentences after their box: "Show my name", not
    # "Show my name:"; the consent checkbox links the privacy notice inside one sentence
    page = _page(client.get(_sign_url(letter)))

    labels = _checkbox_labels(page)
    assert len(labels) >= 2, labels
    assert [label for label in labels.values() if label.endswith(":")] == []
    assert labels["id_consent"] == (
        "I have read the privacy notice and sign on behalf of my organisation"
    )


def test_the_letter_settings_checkboxes_have_no_colon(client, owner, make_letter):
    letter = make_letter(Letter.Status.DRAFT)
    client.force_login(owner)

    page = _page(client.get(reverse("letters:settings", args=[letter.slug])))

    labels = _checkbox_labels(page)
    assert labels, "the settings form has checkboxes"
    assert [label for label in labels.values() if label.endswith(":")] == []


def test_the_organisation_form_in_error_has_the_same_summary_and_title(client, signer):
    # The organisation pages render their own fields, but the same GOV.UK summary
    client.force_login(signer)

    page = _page(client.post(reverse("organisations:create"), {"name": "", "based_in": ""}))

    [title] = page.all("title")
    assert title.words.startswith("Error:")
    [summary] = page.root.find_all(
        lambda e: "error-summary" in (e.attrs.get("class") or "").split()
    )
    assert summary.attrs["role"] == "alert"
    assert summary.attrs["tabindex"] == "-1"
    assert "autofocus" in summary.attrs
    assert "There is a problem" in summary.words
    links = summary.find_all(lambda e: e.tag == "a")
    assert [a.attrs["href"] for a in links] == ["#id_name"]
