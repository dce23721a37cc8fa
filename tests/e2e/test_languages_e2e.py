"""The site in each of its languages, in a real browser (issue 14): the public letter page with
its translation, the sign form beside the authoritative text, and a coordinator's pages, in
English, Simplified and Traditional Chinese, Tibetan and Uyghur (right to left). Each page
says its language and direction on <html>, speaks that language, fits a 390 px phone without
sideways scrolling, has no serious or critical axe violation, and is kept as a screenshot at
1280 and 390 px (var/artifacts/screenshots/lang-*.png; the conftest gives chromium the Noto
fonts of var/fonts/ so they show real glyphs). The Uyghur sign page is mirrored. The switcher
keeps a visitor's choice in a cookie and a logged-in reader's on the account."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import COORDINATORS
from letters import services
from letters.models import Letter
from tests.accounts.conftest import totp_code
from tests.e2e.axe import axe_violations, format_violations
from tests.e2e.conftest import keep_screenshot
from tests.factories import PASSWORD, UserFactory, enrol_totp

pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Language:
    code: str  # Django's
    tag: str  # BCP 47, as <html lang> says it
    dir: str
    name: str  # as the switcher names it, in itself
    title: str  # the letter's title in it: the authoritative one for English
    body: str


ENGLISH = Language(
    "en",
    "en",
    "ltr",
    "English",
    "Raise human rights in Beijing",
    "Dear Secretary of State,\n\n"
    "We write as organisations that document and defend human rights in China, Hong Kong, "
    "Tibet and East Turkestan, ahead of your visit to Beijing.\n\n"
    "## Why this visit matters\n\n"
    "Repression inside China reaches people far beyond its borders.",
)
# Short real text in each language, from the demo's translations (letters/demo_texts/).
TRANSLATED = (
    Language(
        "zh-hans",
        "zh-Hans",
        "ltr",
        "简体中文",
        "在北京会谈中提出人权问题",
        "尊敬的国务卿：\n\n"
        "我们是在中国、香港、西藏和东突厥斯坦记录和捍卫人权的机构，谨在您访问北京之前致函。\n\n"
        "## 此次访问为何重要",
    ),
    Language(
        "zh-hant",
        "zh-Hant",
        "ltr",
        "繁體中文",
        "在北京會談中提出人權問題",
        "國務卿閣下：\n\n"
        "我們是記錄及捍衛中國、香港、西藏及東突厥斯坦人權的機構，謹於閣下訪問北京之前致函。\n\n"
        "## 此行為何重要",
    ),
    Language(
        "bo",
        "bo",
        "ltr",
        "བོད་ཡིག",
        "པེ་ཅིན་གྱི་གྲོས་མོལ་ཐོག་མི་དབང་གི་གནད་དོན་འདོན་རོགས།",
        "གུས་པར་འོས་པའི་ཕྱི་སྲིད་བློན་ཆེན་མཆོག་ལ།\n\n"
        "ང་ཚོ་ནི་རྒྱ་ནག་དང་། ཧོང་ཀོང་། བོད། ཤར་ཏུར་ཀི་སི་ཏན་བཅས་སུ་མི་དབང་གི་ཡིག་ཆ་ཐོ་འགོད་དང་"
        "སྲུང་སྐྱོབ་བྱེད་པའི་ཚོགས་པ་ཁག་ཡིན་པའི་ཐོག་ནས། ཁྱེད་པེ་ཅིན་ལ་ཕེབས་པའི་སྔོན་དུ་འཕྲིན་ཡིག་འདི་འབུལ་གྱི་ཡོད།\n\n"
        "## ཕེབས་བསྐྱོད་འདི་གལ་ཆེན་ཡིན་པའི་རྒྱུ་མཚན།",
    ),
    Language(
        "ug",
        "ug",
        "rtl",
        "ئۇيغۇرچە",
        "بېيجىڭ سۆھبىتىدە كىشىلىك ھوقۇق مەسىلىسىنى ئوتتۇرىغا قويۇڭ",
        "ھۆرمەتلىك دۆلەت ئىشلار كاتىپى،\n\n"
        "بىز خىتاي، شياڭگاڭ، تىبەت ۋە شەرقىي تۈركىستاندىكى كىشىلىك ھوقۇق ئەھۋالىنى "
        "خاتىرىلەيدىغان ۋە كىشىلىك ھوقۇقنى قوغدايدىغان تەشكىلاتلار سۈپىتىدە، بېيجىڭ "
        "زىيارىتىڭىز ئالدىدا بۇ خەتنى يازدۇق.\n\n"
        "## بۇ زىيارەتنىڭ مۇھىملىقى",
    ),
)
LANGUAGES = (ENGLISH, *TRANSLATED)
BY_CODE = {language.code: language for language in LANGUAGES}


def _in(language: Language, message: str) -> str:
    """`message` as the catalog of `language` has it. Outside English it must differ from the
    English, or the assertion it is used in could not tell the languages apart."""
    with translation.override(language.code):
        translated = gettext(message)
    if language.code != "en":
        assert translated != message, f"{message!r} has no translation into {language.code}"
    return translated


def _coordinator(**kwargs) -> tuple[User, str]:
    """A coordinator with an authenticator app whose secret the test knows."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get_or_create(name=COORDINATORS)[0])
    return user, enrol_totp(user)


def _letter(coordinator: User) -> Letter:
    """An open letter anyone may sign, authoritative in English, translated into the four other
    languages (each a translation of its current version)."""
    letter = services.create_letter(
        author=coordinator,
        title=ENGLISH.title,
        body=ENGLISH.body,
        recipient="The Secretary of State",
        sign_on_mode=Letter.SignOnMode.OPEN,
    )
    letter = services.open_letter(letter=letter, actor=coordinator)
    for language in TRANSLATED:
        services.save_translation(
            letter=letter,
            actor=coordinator,
            language=language.code,
            title=language.title,
            body=language.body,
        )
    return letter


def _log_in(page, email: str, secret: str | None = None) -> None:
    """Log in through the form, whatever language it is in: by the fields' names."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    if secret is not None:
        page.locator("input[name=code]").fill(totp_code(secret))
        page.locator("input[name=code]").press("Enter")
    expect(page.locator("form[action='/accounts/logout/']")).to_have_count(1)


def _expect_language(page, language: Language) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language.tag)
    expect(html).to_have_attribute("dir", language.dir)


def _sideways_overflow(page) -> dict:
    """The document's scroll width against the viewport's and, to name in a failure, the
    elements reaching furthest outside the viewport (those inside a scrolling box too: an
    absolutely positioned one can escape its box's clip)."""
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            const width = root.clientWidth;
            const out = [];
            for (const element of document.body.querySelectorAll('*')) {
                const box = element.getBoundingClientRect();
                const beyond = Math.max(box.right - width, -box.left);
                if (box.width === 0 || beyond <= 0.5) continue;
                const name = element.tagName.toLowerCase()
                    + (element.id ? '#' + element.id : '')
                    + (typeof element.className === 'string' && element.className.trim()
                        ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
                out.push([beyond, `${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`]);
            }
            out.sort((a, b) => b[0] - a[0]);
            return {
                scrollWidth: root.scrollWidth,
                clientWidth: width,
                outside: out.slice(0, 8).map((entry) => entry[1]),
            };
        }"""
    )


def _check_page(page, language: Language, name: str) -> None:
    """The checks every page gets, at 1280 then at 390 px: its language and direction, axe,
    a screenshot at each width, and no sideways scrolling on the phone. Ends at 1280 px."""
    _expect_language(page, language)
    violations = axe_violations(page)
    keep_screenshot(page, f"lang-{language.code}-{name}-1280")
    assert violations == [], format_violations(violations)

    page.set_viewport_size(PHONE)
    overflow = _sideways_overflow(page)
    keep_screenshot(page, f"lang-{language.code}-{name}-390")
    assert overflow["scrollWidth"] <= overflow["clientWidth"], overflow
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.set_viewport_size(WIDE)
    assert page.csp_violations == []


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_letter_page_and_the_sign_form_in_each_language(page, language):
    # Given an open letter, authoritative in English, translated into the other four languages
    coordinator, _secret = _coordinator()
    letter = _letter(coordinator)

    # When a visitor opens its shareable link in the language
    page.goto(f"/letters/{letter.slug}/?lang={language.code}")

    # Then the page is in it: the letter's text in its translation (labelled as one, with a
    # link to the authoritative text), the interface in its catalog
    expect(page.locator("h1#letter-title")).to_have_text(language.title)
    expect(page.locator("h1#letter-title")).to_have_attribute("lang", language.tag)
    expect(page.locator("#sign-title")).to_have_text(_in(language, "Sign this letter"))
    labels = page.locator("article.letter .translation-label")
    if language is ENGLISH:
        expect(labels).to_have_count(0)
    else:
        expect(labels).to_have_count(1)
        expect(labels.get_by_role("link")).to_have_attribute("href", "?text=en")
    prose = page.locator("article.letter .prose")
    expect(prose).to_have_attribute("lang", language.tag)
    expect(prose).to_have_attribute("dir", language.dir)
    _check_page(page, language, "letter")

    # When they go on to sign (the link in the page's own words)
    page.get_by_role("link", name=_in(language, "Sign on behalf of your organisation")).click()

    # Then the sign page stays in the language, with the authoritative English text beside
    # the translation they read
    expect(page).to_have_url(f"{page.url.split('/letters/')[0]}/letters/{letter.slug}/sign/")
    expect(page.locator("#form-title")).to_have_text(
        _in(language, "Sign on behalf of your organisation")
    )
    expect(page.locator("#text-title")).to_have_text(_in(language, "The text you sign"))
    texts = page.locator(".sign-text article.letter-text")
    if language is ENGLISH:
        expect(texts).to_have_count(1)
    else:
        expect(texts).to_have_count(2)
        expect(texts.nth(1)).to_have_attribute("lang", language.tag)
        expect(texts.nth(1)).to_have_attribute("dir", language.dir)
        expect(texts.nth(1).locator("h3[dir=auto]")).to_have_text(language.title)
    expect(texts.first).to_have_attribute("lang", "en")
    expect(texts.first).to_have_attribute("dir", "ltr")
    expect(texts.first.locator("h3[dir=auto]")).to_have_text(ENGLISH.title)

    # And its layout follows the direction: the form beside the text on a wide screen, after
    # it in reading order (on the right in English, on the left in Uyghur)
    text, form = _box(page, ".sign-text"), _box(page, ".sign-form")
    if language.dir == "rtl":
        assert form["x"] + form["width"] <= text["x"], (form, text)
    else:
        assert text["x"] + text["width"] <= form["x"], (text, form)
    _check_page(page, language, "sign")


def test_the_uyghur_sign_page_is_mirrored_and_its_text_right_aligned(page):
    # Given the letter with its Uyghur translation
    coordinator, _secret = _coordinator()
    letter = _letter(coordinator)

    # When a visitor opens the sign page in Uyghur on a wide screen
    page.goto(f"/letters/{letter.slug}/sign/?lang=ug")
    _expect_language(page, BY_CODE["ug"])

    # Then the sign card is on the left of the text
    text, form = _box(page, ".sign-text"), _box(page, ".sign-form")
    assert form["x"] + form["width"] <= text["x"], (form, text)
    assert form["x"] < WIDE["width"] / 2 < text["x"] + text["width"]

    # And the Uyghur text runs right to left, right-aligned: its short first line (the
    # salutation) ends at the paragraph's right edge and leaves room on its left
    uyghur = page.locator(".sign-text article.letter-text[lang=ug]")
    style = uyghur.evaluate(
        "e => { const s = getComputedStyle(e); return [s.direction, s.textAlign]; }"
    )
    assert style[0] == "rtl"
    assert style[1] in {"start", "right"}, style
    line = uyghur.locator("p:not(.translation-label)").first.evaluate(
        """p => {
            const range = document.createRange();
            range.selectNodeContents(p);
            const text = range.getBoundingClientRect(), box = p.getBoundingClientRect();
            const s = getComputedStyle(p);
            return {
                textLeft: text.left, textRight: text.right,
                boxLeft: box.left + parseFloat(s.paddingLeft),
                boxRight: box.right - parseFloat(s.paddingRight),
            };
        }"""
    )
    assert abs(line["textRight"] - line["boxRight"]) <= 2, line
    assert line["textLeft"] - line["boxLeft"] > 50, line
    # While the English text beside it stays left-aligned
    english = page.locator(".sign-text article.letter-text[lang=en]")
    assert english.evaluate("e => getComputedStyle(e).direction") == "ltr"


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_a_coordinators_pages_in_each_language(page, language):
    # Given a coordinator whose account is in the language, and their translated letter
    coordinator, secret = _coordinator(language=language.code)
    letter = _letter(coordinator)

    # When they log in (password and code) and open the letter's translations
    _log_in(page, coordinator.email, secret)
    page.goto(f"/letters/{letter.slug}/translations/")

    # Then the page is in their language: its navigation, and the languages it lists (all but
    # the authoritative one), each named in itself
    subnav = page.locator("nav.subnav")
    expect(subnav).to_have_attribute("aria-label", _in(language, "Manage this letter"))
    expect(subnav.get_by_role("link", name=_in(language, "Invitations"))).to_be_visible()
    rows = page.locator("table tbody th[scope=row] span")
    expect(rows).to_have_count(len(TRANSLATED))
    for other in TRANSLATED:
        expect(page.locator(f"table tbody th span[lang='{other.tag}']")).to_have_text(other.name)
    _check_page(page, language, "coordinator-translations")

    # And so is their dashboard
    page.goto("/letters/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text(_in(language, "My letters"))
    _check_page(page, language, "coordinator-dashboard")


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.code)
def test_a_visitor_picks_a_language_and_keeps_it_on_the_next_page(page, language):
    # Given a visitor reading the letter in English
    coordinator, _secret = _coordinator()
    letter = _letter(coordinator)
    page.goto(f"/letters/{letter.slug}/")
    _expect_language(page, ENGLISH)

    # When they click the language in the switcher
    page.locator("nav.language-bar").get_by_role("link", name=language.name, exact=True).click()

    # Then the page is in it, and a cookie remembers the choice
    _expect_language(page, language)
    expect(page.locator("h1#letter-title")).to_have_text(language.title)
    expect(page.locator("nav.language-bar [aria-current=true]")).to_have_text(language.name)
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies.get("django_language") == language.code

    # When they go on to other pages, through links that carry no language: the list of
    # letters, then the letter again
    page.get_by_role("navigation", name=_in(language, "Main")).get_by_role(
        "link", name=_in(language, "Letters")
    ).click()

    # Then each is in their language too
    expect(page).to_have_url(f"{page.url.split('/letters/')[0]}/letters/")
    _expect_language(page, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(_in(language, "Letters"))
    page.locator(f"a[href='/letters/{letter.slug}/']").first.click()
    expect(page).to_have_url(f"{page.url.split('/letters/')[0]}/letters/{letter.slug}/")
    _expect_language(page, language)
    expect(page.locator("h1#letter-title")).to_have_text(language.title)


def test_an_accounts_language_is_saved_and_follows_it_to_another_browser(
    page, browser, live_server
):
    # Given a signer with an account and no language chosen
    signer = UserFactory(email="rahima@uwv.example.org", name="Rahima Ablimit")
    assert signer.language == ""
    uyghur = BY_CODE["ug"]

    # When they log in and pick Uyghur with the switcher (a form: it saves the account's)
    _log_in(page, signer.email)
    _expect_language(page, ENGLISH)
    page.locator("nav.language-bar").get_by_role("button", name=uyghur.name, exact=True).click()

    # Then the page is in Uyghur, right to left, and the choice is on the account
    _expect_language(page, uyghur)
    expect(page.locator("nav.language-bar [aria-current=true]")).to_have_text(uyghur.name)
    signer.refresh_from_db()
    assert signer.language == "ug"

    # When they log in from another browser, which prefers Traditional Chinese
    other = browser.new_context(base_url=live_server.url, viewport=WIDE, locale="zh-TW")
    try:
        elsewhere = other.new_page()
        elsewhere.goto("/accounts/login/")
        _expect_language(elsewhere, BY_CODE["zh-hant"])
        _log_in(elsewhere, signer.email)

        # Then the pages are in the account's language, not the browser's
        _expect_language(elsewhere, uyghur)
        elsewhere.goto("/letters/")
        _expect_language(elsewhere, uyghur)
        expect(elsewhere.get_by_role("navigation", name=_in(uyghur, "Main"))).to_be_visible()
    finally:
        other.close()


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.code)
def test_the_translation_labels_are_in_the_pages_language(page, language):
    # Given the translated letter
    coordinator, _secret = _coordinator()
    letter = _letter(coordinator)

    # When a visitor opens it in the language
    page.goto(f"/letters/{letter.slug}/?lang={language.code}")
    _expect_language(page, language)

    # Then the words around the translation are in that language too
    expect(page.locator("nav.language-bar")).to_have_attribute(
        "aria-label", _in(language, "Language")
    )
    expect(page.locator("nav.letter-languages")).to_contain_text(
        _in(language, "Read this letter in:")
    )
    expect(page.locator("article.letter .translation-label a")).to_have_text(
        _in(language, "read the authoritative text")
    )
