"""Issue 14: which language a page is in. `?lang=` (a shareable link) first, then the
account's saved choice, then the switcher's cookie, then the browser's Accept-Language, then
English. The switcher works without a script: links for visitors, a form for accounts that
also saves the choice on the account. Uyghur pages are right to left."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.services import set_account_language
from core.locale import script_language
from tests.factories import UserFactory, make_moderator

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


@pytest.mark.parametrize(
    ("code", "tag", "direction"),
    [
        ("en", "en", "ltr"),
        ("zh-hans", "zh-Hans", "ltr"),
        ("zh-hant", "zh-Hant", "ltr"),
        ("bo", "bo", "ltr"),
        ("ug", "ug", "rtl"),
    ],
)
def test_a_link_with_lang_opens_the_page_in_that_language(client, code, tag, direction):
    response = client.get("/?lang=" + code)

    assert html_tag(response) == f'<html lang="{tag}" dir="{direction}">'
    assert response.headers["Content-Language"] == tag
    assert "Accept-Language" in response.headers["Vary"]
    assert "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK,en;q=0.5", "zh-Hant"),
        ("bo-CN", "bo"),
        ("ug,en;q=0.5", "ug"),
        ("fr-FR,fr;q=0.9", "en"),
    ],
)
def test_a_visitor_gets_their_browsers_language(client, header, tag):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)

    assert f'lang="{tag}"' in html_tag(response)


def test_a_lang_link_wins_over_the_browser_and_is_kept_for_the_next_pages(client):
    first = client.get("/?lang=bo", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert 'lang="bo"' in html_tag(first)
    assert first.cookies[COOKIE].value == "bo"
    # The next page, without the parameter, stays in Tibetan
    assert 'lang="bo"' in html_tag(client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="zh-CN"))


@pytest.mark.parametrize("value", ["xx", "", "en-GB-oxendict-" + "x" * 40, "../bo", "<script>"])
def test_an_unknown_lang_is_ignored(client, value):
    response = client.get("/", {"lang": value}, HTTP_ACCEPT_LANGUAGE="zh-TW")

    assert 'lang="zh-Hant"' in html_tag(response)
    assert COOKIE not in response.cookies


def test_the_visitors_switcher_is_links_that_need_no_script(client):
    page = client.get("/privacy/").content.decode()

    for code, name in [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("bo", "བོད་ཡིག")]:
        assert f'href="/privacy/?lang={code}"' in page
        assert name in page
    assert "ئۇيغۇرچە" in page
    assert "<script" not in page


def test_an_accounts_choice_is_saved_and_follows_it_to_another_browser(client):
    # Given a logged-in user on an English page
    user = UserFactory(email="reader@ngo.example.org")
    client.force_login(user)
    page = client.get("/privacy/").content.decode()
    assert f'action="{reverse("set_language")}"' in page

    # When they choose Uyghur with the switcher
    response = client.post(reverse("set_language"), {"language": "ug", "next": "/privacy/?lang=en"})

    # Then they are back on the page they were on, now in Uyghur, and it is saved
    assert response.status_code == 302
    assert response.url == "/privacy/"
    user.refresh_from_db()
    assert user.language == "ug"
    # And another browser, with another preference, shows their pages in it after login
    other = type(client)()
    other.force_login(user)
    assert 'lang="ug" dir="rtl"' in html_tag(other.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN"))


def test_an_unknown_language_from_the_switcher_changes_nothing(client):
    user = UserFactory(language="bo")
    client.force_login(user)

    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    user.refresh_from_db()
    assert user.language == "bo"
    assert COOKIE not in response.cookies


def test_the_switcher_sends_nobody_to_another_site(client):
    response = client.post(
        reverse("set_language"), {"language": "bo", "next": "https://evil.example.com/"}
    )

    assert response.url == "/"


def test_the_switcher_refuses_a_get_and_a_post_without_its_csrf_token():
    from django.test import Client

    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(reverse("set_language")).status_code == 405
    assert client.post(reverse("set_language"), {"language": "bo"}).status_code == 403
    user.refresh_from_db()
    assert user.language == ""


def test_a_lang_link_does_not_change_an_accounts_saved_choice(client):
    user = UserFactory(language="zh-hant")
    client.force_login(user)

    response = client.get("/?lang=bo")

    assert 'lang="bo"' in html_tag(response)
    user.refresh_from_db()
    assert user.language == "zh-hant"
    assert 'lang="zh-Hant"' in html_tag(client.get("/"))


def test_set_account_language_refuses_a_language_of_no_catalog():
    from django.core.exceptions import ValidationError

    user = UserFactory()
    for value in ("fr", "zh", "xx"):
        with pytest.raises(ValidationError):
            set_account_language(user=user, language=value)
    user.refresh_from_db()
    assert user.language == ""


def test_an_error_page_is_in_the_readers_language_and_right_to_left(client):
    response = client.get("/no-such-page/?lang=ug")

    assert response.status_code == 404
    assert html_tag(response) == '<html lang="ug" dir="rtl">'
    # Its switcher leads home: a link back would make a hidden page's 404 differ from another
    assert 'href="/?lang=bo"' in response.content.decode()
    assert "no-such-page" not in response.content.decode()


@pytest.mark.parametrize(("code", "tag", "direction"), [("ug", "ug", "rtl"), ("bo", "bo", "ltr")])
def test_the_admin_speaks_the_moderators_language(client, code, tag, direction):
    # Django ships no Tibetan admin, nor allauth any Uyghur: locale-extra/ translates them
    moderator = make_moderator(email="mod@undersigned.example.org", is_staff=True)
    set_account_language(user=moderator, language=code)
    client.force_login(moderator)

    page = client.get(reverse("admin:index")).content.decode()

    assert f'<html lang="{tag}" dir="{direction}"' in page
    assert ">Log out<" not in page


@pytest.mark.parametrize(
    ("name", "place", "tag"),
    [
        ("香港人權監察", "", "zh-Hant"),
        ("中国人权捍卫者", "", "zh-Hans"),
        ("人权", "Hong Kong", "zh-Hant"),
        ("人权", "台灣", "zh-Hant"),
        ("བོད་ཀྱི་བུད་མེད་ཚོགས་པ།", "Tibet", "bo"),
        ("ئۇيغۇر ئاكادېمىيىسى", "", "ug"),
        ("Free Tibet", "Hong Kong", ""),
        ("", "", ""),
    ],
)
def test_a_names_script_gives_its_lang(name, place, tag):
    assert script_language(name, place) == tag


def test_the_embed_is_right_to_left_in_uyghur(client):
    from tests.factories import LetterFactory

    letter = LetterFactory(status="open", signatories_public_while_open=True)

    response = client.get(reverse("letters:embed", args=[letter.slug]) + "?lang=ug")

    assert '<html lang="ug" dir="rtl">' in response.content.decode()


def test_the_server_error_page_is_in_the_readers_language():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("ug"):
        page = render_to_string("errors/500.html", {})

    assert '<html lang="ug" dir="rtl">' in page
