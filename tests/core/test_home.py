"""The home page shows visitors the letters they can sign now and how signing works (issue 15,
item 12), not only account buttons; never a draft, a closed or a published letter as open."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.views import HOME_OPEN_LETTERS
from letters.models import Letter
from tests.factories import LetterFactory

pytestmark = pytest.mark.django_db

S = Letter.Status


def test_a_visitor_sees_the_open_letters_and_how_to_sign(client):
    LetterFactory(title="Raise human rights in Beijing", recipient="The US Secretary of State")
    LetterFactory(title="A letter by invitation", sign_on_mode=Letter.SignOnMode.INVITATION)
    LetterFactory(title="Still a draft", status=S.DRAFT, opened_at=None)
    LetterFactory(title="Closed already", status=S.CLOSED)

    page = client.get(reverse("home")).content.decode()

    assert "Letters open for signatures" in page
    assert "Raise human rights in Beijing" in page
    assert "To <bdi>The US Secretary of State</bdi>" in page
    assert "Any organisation may ask to sign." in page
    assert "A letter by invitation" in page
    assert "By invitation: invited organisations sign through the link" in page
    assert "Still a draft" not in page
    assert "Closed already" not in page
    assert "How an organisation signs" in page
    assert reverse("account_signup") in page  # the account buttons are still there


def test_with_no_open_letter_the_home_page_says_so(client):
    LetterFactory(title="Still a draft", status=S.DRAFT, opened_at=None)

    page = client.get(reverse("home")).content.decode()

    assert "No letter is open for signatures right now." in page
    assert "Still a draft" not in page


def test_the_home_page_shows_a_few_open_letters_with_a_link_to_all_in_constant_queries(client):
    client.get(reverse("home"))  # session, language: warmed once
    LetterFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    LetterFactory.create_batch(HOME_OPEN_LETTERS + 3)

    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("home")).content.decode()

    assert page.count("<h3 lang=") == HOME_OPEN_LETTERS
    assert "All letters, open and published" in page
    assert len(many) == len(few)
