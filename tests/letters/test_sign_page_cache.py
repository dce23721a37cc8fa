"""The empty sign form a visitor without a session sees is rendered once and kept (issue 16):
every visitor still gets a CSRF token of their own that works, and the page changes with
anything it shows — the text, the letter, the suggestions, the language — and is never kept
for a page that belongs to one person (logged in, a session, an invitation, a form in error)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from letters import services
from letters.models import Letter, Signature
from tests.factories import UserFactory
from tests.letters.signing_helpers import open_mode_letter, sign_form_data, verified_organisation

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def letter(make_letter) -> Letter:
    return open_mode_letter(make_letter)


def _visitor() -> Client:
    return Client(enforce_csrf_checks=True)


def _page(client: Client, letter: Letter, **headers):
    response = client.get(reverse("letters:sign", args=[letter.slug]), **headers)
    assert response.status_code == 200
    return response


def _without_token(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)


def test_visitors_get_the_kept_page_each_with_a_token_of_their_own_that_signs(letter):
    first = _page(_visitor(), letter)
    assert [t.name for t in first.templates][:1] == ["letters/sign.html"]  # rendered

    visitors = [_visitor() for _ in range(3)]
    pages = [_page(visitor, letter) for visitor in visitors]

    assert all(page.templates == [] for page in pages)  # from the cache, not rendered
    assert {_without_token(page.content.decode()) for page in pages} == {
        _without_token(first.content.decode())
    }
    tokens = [TOKEN.findall(page.content.decode()) for page in pages]
    assert all(len(set(found)) == 1 for found in tokens)
    assert len({found[0] for found in tokens}) == 3  # masked anew for each visitor
    for number, (visitor, found) in enumerate(zip(visitors, tokens, strict=True)):
        answer = visitor.post(
            reverse("letters:sign", args=[letter.slug]),
            sign_form_data(
                csrfmiddlewaretoken=found[0],
                organisation_name=f"Kept Page Org {number}",
                signer_email=f"signer{number}@keptpage.example.org",
            ),
        )
        assert answer.status_code == 302, answer.content[:300]
    assert Signature.objects.filter(letter=letter).count() == 3


def test_a_token_of_the_kept_page_is_refused_to_another_visitor(letter):
    _page(_visitor(), letter)
    page = _page(_visitor(), letter)
    stolen = TOKEN.findall(page.content.decode())[0]

    answer = _visitor().post(
        reverse("letters:sign", args=[letter.slug]),
        sign_form_data(csrfmiddlewaretoken=stolen),
    )

    assert answer.status_code == 403
    assert not Signature.objects.filter(letter=letter).exists()


def test_a_new_text_shows_at_once(letter, owner):
    _page(_visitor(), letter)
    services.update_letter(
        letter=letter, actor=owner, body="A new paragraph nobody has read.", substantive=True
    )

    page = _page(_visitor(), letter)

    assert "A new paragraph nobody has read." in page.content.decode()


def test_a_newly_verified_organisation_is_suggested_at_once(letter):
    _page(_visitor(), letter)
    verified_organisation("Uyghur Human Rights Project", "uhrp.example.org")

    page = _page(_visitor(), letter)

    assert "Uyghur Human Rights Project" in page.content.decode()


def test_each_language_has_its_own_page(letter):
    english = _page(_visitor(), letter).content.decode()
    chinese = _page(_visitor(), letter, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert 'lang="zh-hans"' in chinese or 'lang="zh-Hans"' in chinese
    assert _without_token(english) != _without_token(chinese)


@pytest.mark.parametrize("who", ["member", "session", "query"])
def test_a_page_of_one_person_is_rendered_for_them(letter, who):
    _page(_visitor(), letter)
    client = _visitor()
    path = reverse("letters:sign", args=[letter.slug])
    if who == "member":
        client.force_login(UserFactory())
    elif who == "session":
        client.cookies["sessionid"] = "not-a-session"
    else:
        path += "?other=1"

    response = client.get(path)

    assert response.status_code == 200
    assert [t.name for t in response.templates][:1] == ["letters/sign.html"]


def test_a_form_in_error_is_rendered_and_not_kept(letter):
    client = _visitor()
    token = TOKEN.findall(_page(client, letter).content.decode())[0]

    answer = client.post(
        reverse("letters:sign", args=[letter.slug]),
        sign_form_data(csrfmiddlewaretoken=token, signer_email="not an address"),
    )

    assert answer.status_code == 200
    assert "not an address" in answer.content.decode()
    assert "not an address" not in _page(_visitor(), letter).content.decode()


def test_the_kept_page_is_one_query_and_one_cache_read(letter, django_assert_num_queries):
    _page(_visitor(), letter)  # rendered and kept

    with django_assert_num_queries(1):  # the sign page's stamp (selectors.sign_page_stamp)
        page = _page(_visitor(), letter)

    assert page.templates == []


def test_a_new_translation_shows_at_once_and_so_does_its_next_one(letter, owner):
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    _page(_visitor(), letter, **chinese)
    services.save_translation(
        letter=letter, actor=owner, language="zh-hans", title="公开信", body="第一版译文。"
    )

    assert "第一版译文" in _page(_visitor(), letter, **chinese).content.decode()
    # The English page offers the new language too.
    assert 'hreflang="zh-Hans"' in _page(_visitor(), letter).content.decode()

    services.save_translation(
        letter=letter, actor=owner, language="zh-hans", title="公开信", body="第二版译文。"
    )

    page = _page(_visitor(), letter, **chinese).content.decode()
    assert "第二版译文" in page
    assert "第一版译文" not in page


def test_a_renamed_or_unverified_suggestion_changes_at_once(letter):
    organisation = verified_organisation("Uyghur Human Rights Project", "uhrp.example.org")
    _page(_visitor(), letter)
    # A change that no save() sees (no timestamp moves): the names themselves are the key.
    type(organisation).objects.filter(pk=organisation.pk).update(name="Campaign for Uyghurs")

    page = _page(_visitor(), letter).content.decode()
    assert "Campaign for Uyghurs" in page
    assert "Uyghur Human Rights Project" not in page

    type(organisation).objects.filter(pk=organisation.pk).update(is_verified=False)

    assert "Campaign for Uyghurs" not in _page(_visitor(), letter).content.decode()


@pytest.mark.parametrize("change", ["closed", "deadline passed", "by invitation only"])
def test_a_letter_no_longer_open_to_visitors_is_never_served_the_kept_form(letter, change):
    kept = _page(_visitor(), letter)
    assert 'name="organisation_name"' in kept.content.decode()
    if change == "closed":
        services.close_letter(letter=letter, actor=None)
    elif change == "deadline passed":
        # As the clock passing it would: no save(), the stamp's deadline is the same.
        Letter.objects.filter(pk=letter.pk).update(
            deadline=timezone.now() - dt.timedelta(minutes=1)
        )
    else:
        Letter.objects.filter(pk=letter.pk).update(sign_on_mode=Letter.SignOnMode.INVITATION)

    page = _page(_visitor(), letter).content.decode()

    assert 'name="organisation_name"' not in page
    assert "is not collecting signatures" in page or "Signing is by invitation" in page


def test_no_such_letter_and_a_draft_are_not_found(make_letter):
    draft = make_letter(status=Letter.Status.DRAFT)

    assert _visitor().get(reverse("letters:sign", args=["no-such-letter"])).status_code == 404
    assert _visitor().get(reverse("letters:sign", args=[draft.slug])).status_code == 404
