"""Issue 14: a letter has one authoritative text; coordinators add translations of a given
version of it, each versioned and hashed. Readers pick a language on the letter page and are
told a translation is one; signers read the authoritative text beside their translation, and
the signature records both hashes. A change of the authoritative text marks the translations
out of date (and, if substantive, asks signers to re-confirm as before)."""

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from letters import selectors, services
from letters.models import Letter, LetterTranslation, Signature, content_hash
from tests.factories import UserFactory

from .signing_helpers import emails_of, in_state, open_mode_letter, sign, sign_form_data, text_of

pytestmark = pytest.mark.django_db

S = Letter.Status
BO_TITLE = "པེ་ཅིང་གི་གྲོས་མོལ་ནང་མི་དབང་གི་གནད་དོན་འདོན་རོགས།"
BO_BODY = "ང་ཚོས་ཁྱེད་ལ་**མི་དབང་**གི་གནད་དོན་འདོན་པར་རེ་བ་ཞུ།"
ZH_TITLE = "在北京会谈中提出人权问题"
ZH_BODY = "我们联署机构敦促您在访问期间**提出人权问题**。"
UG_TITLE = "بېيجىڭ سۆھبىتىدە كىشىلىك ھوقۇق مەسىلىسىنى ئوتتۇرىغا قويۇڭ"
UG_BODY = (
    "بىز سىزدىن زىيارىتىڭىز جەريانىدا **كىشىلىك ھوقۇق** مەسىلىسىنى ئوتتۇرىغا قويۇشىڭىزنى سورايمىز."
)


def translate(letter, owner, language="bo", title=BO_TITLE, body=BO_BODY, **kwargs):
    return services.save_translation(
        letter=letter, actor=owner, language=language, title=title, body=body, **kwargs
    )


# --- The service: legal transitions -----------------------------------------------------------


def test_a_first_translation_is_version_1_of_the_current_text_with_its_hash(open_letter, owner):
    # When a coordinator saves a Tibetan translation
    saved = translate(open_letter, owner, summary="  ཕྱོགས་བསྡུས།  ")

    # Then it is version 1, of the current authoritative version, hashed like the letter
    current = selectors.current_version_of(open_letter)
    assert (saved.language, saved.number, saved.source, saved.is_current) == (
        "bo",
        1,
        current,
        True,
    )
    assert saved.content_hash == content_hash(BO_TITLE, BO_BODY)
    assert saved.summary == "ཕྱོགས་བསྡུས།"
    assert not saved.is_out_of_date(current)
    # And the audit trail says who saved which translation of which version
    event = AuditEvent.objects.get(action=Action.LETTER_TRANSLATION_SAVED)
    assert event.actor == owner
    assert event.data["language"] == "bo"
    assert event.data["of_version"] == current.number
    assert event.data["sha256"] == saved.content_hash


def test_saving_again_makes_a_new_version_and_keeps_the_old_one(open_letter, owner):
    first = translate(open_letter, owner)

    # When the translation is corrected
    second = translate(open_letter, owner, body=BO_BODY + "\n\nབཀའ་དྲིན་ཆེ།")

    # Then version 2 is current and version 1 is kept, as it was
    first.refresh_from_db()
    assert (second.number, second.is_current, first.is_current) == (2, True, False)
    assert first.body == BO_BODY
    assert [t.number for t in selectors.translation_history(open_letter, "bo")] == [2, 1]


def test_saving_the_same_translation_again_changes_nothing(open_letter, owner):
    translate(open_letter, owner)

    assert translate(open_letter, owner) is None
    assert LetterTranslation.objects.count() == 1


def test_a_change_of_the_authoritative_text_marks_translations_out_of_date(open_letter, owner):
    saved = translate(open_letter, owner)

    # When the authoritative text gets a new version
    version = services.update_letter(letter=open_letter, actor=owner, body="A new text.")

    # Then the translation is of an older version: out of date, until one of the new version
    assert saved.is_out_of_date(version)
    reading = selectors.reading_text(open_letter, version, "bo")
    assert reading.translation == saved
    assert reading.out_of_date
    renewed = translate(open_letter, owner)
    assert renewed is not None
    assert renewed.number == 2
    assert renewed.source == version
    assert not renewed.is_out_of_date(version)


def test_a_published_letter_can_still_be_translated(published_letter, owner):
    # Readers of a delivered letter may need it in their language; it binds nobody
    assert translate(published_letter, owner).source == selectors.current_version_of(
        published_letter
    )


# --- The service: refusals, each changing nothing ----------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "body", "message"),
    [
        ("en", "Title", "Text", "language of the authoritative text"),
        ("fr", "Titre", "Texte", "not available"),
        ("xx-yy", "T", "B", "not available"),
        ("bo", BO_TITLE, "  \n ", "Write the translated text"),
        ("bo", "   ", BO_BODY, "needs a title"),
        ("bo", BO_TITLE, "ཀ" * 100_001, "longer than"),
    ],
)
def test_a_translation_that_cannot_be_saved_is_refused_and_nothing_is_written(
    open_letter, owner, language, title, body, message
):
    with pytest.raises(DomainError) as refused:
        translate(open_letter, owner, language=language, title=title, body=body)

    assert message in str(refused.value.message)
    assert not LetterTranslation.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.LETTER_TRANSLATION_SAVED).exists()


def test_only_the_letters_coordinators_may_translate_it(open_letter, other_coordinator):
    for outsider in (other_coordinator, UserFactory()):
        with pytest.raises(NotAllowed):
            translate(open_letter, outsider)
    assert not LetterTranslation.objects.exists()


# --- The coordinators' pages -------------------------------------------------------------------


def test_the_translations_page_lists_each_language_and_whether_it_is_up_to_date(
    client, open_letter, owner
):
    translate(open_letter, owner)
    translate(open_letter, owner, language="zh-hans", title=ZH_TITLE, body=ZH_BODY)
    services.update_letter(letter=open_letter, actor=owner, body="A new text.")
    translate(open_letter, owner, language="zh-hans", title=ZH_TITLE, body=ZH_BODY + " 新")
    client.force_login(owner)

    page = text_of(client.get(reverse("letters:translations", args=[open_letter.slug])))

    assert "Out of date" in page
    assert "Up to date" in page
    assert "No translation yet" in page
    assert "English" not in page.split("Language")[-1].split("SHA-256")[0]


def test_a_coordinator_saves_a_translation_from_its_page(client, open_letter, owner):
    client.force_login(owner)
    url = reverse("letters:translation-edit", args=[open_letter.slug, "ug"])

    page = client.get(url)
    response = client.post(url, {"title": UG_TITLE, "body": UG_BODY, "summary": "", "note": ""})

    assert page.status_code == 200
    assert response.status_code == 302
    saved = LetterTranslation.objects.get(letter=open_letter, language="ug")
    assert (saved.title, saved.body) == (UG_TITLE, UG_BODY)


def test_the_editor_of_an_out_of_date_translation_shows_what_changed_in_the_original(
    client, open_letter, owner
):
    translate(open_letter, owner)
    services.update_letter(letter=open_letter, actor=owner, body="An entirely different ask.")
    client.force_login(owner)

    page = client.get(reverse("letters:translation-edit", args=[open_letter.slug, "bo"]))

    assert "Out of date." in text_of(page)
    assert "<ins" in page.content.decode()
    assert "entirely different" in text_of(page)


@pytest.mark.parametrize("language", ["en", "fr", "zh"])
def test_the_editor_for_the_authoritative_or_an_unknown_language_is_not_found(
    client, open_letter, owner, language
):
    client.force_login(owner)

    url = reverse("letters:translation-edit", args=[open_letter.slug, language])

    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "T", "body": "B"}).status_code == 404
    assert not LetterTranslation.objects.exists()


# --- Readers ----------------------------------------------------------------------------------


def test_the_letter_page_shows_the_readers_translation_labelled_as_one(client, open_letter, owner):
    translate(open_letter, owner, language="zh-hans", title=ZH_TITLE, body=ZH_BODY)

    page = client.get(open_letter.get_absolute_url() + "?lang=zh-hans").content.decode()

    # The translation, in its language, with a label and a way to the binding text
    assert f'lang="zh-Hans" dir="ltr">{ZH_TITLE}</h1>' in page
    assert "<strong>提出人权问题</strong>" in page
    assert f'href="?text={open_letter.language}"' in page
    assert 'class="translation-label"' in page


def test_the_authoritative_text_is_one_click_away_from_a_translation(client, open_letter, owner):
    translate(open_letter, owner, language="zh-hans", title=ZH_TITLE, body=ZH_BODY)

    page = client.get(open_letter.get_absolute_url() + "?lang=zh-hans&text=en").content.decode()

    assert f">{open_letter.title}</h1>" in page
    assert ZH_BODY not in page


def test_an_out_of_date_translation_is_shown_with_a_warning(client, open_letter, owner):
    translate(open_letter, owner, language="ug", title=UG_TITLE, body=UG_BODY)
    services.update_letter(letter=open_letter, actor=owner, body="A new text.")

    page = client.get(open_letter.get_absolute_url() + "?lang=ug").content.decode()

    assert 'lang="ug" dir="rtl"' in page
    assert UG_TITLE in page
    assert page.count('class="translation-label"') == 1
    assert "<strong>" in page.split('class="translation-label"')[1].split("</p>")[0]


def test_the_public_page_links_its_version_in_every_language(client, open_letter):
    page = client.get(open_letter.get_absolute_url()).content.decode()

    url = "http://127.0.0.1:8000" + open_letter.get_absolute_url()
    for tag, code in [("en", "en"), ("zh-Hans", "zh-hans"), ("zh-Hant", "zh-hant"), ("bo", "bo")]:
        assert f'<link rel="alternate" hreflang="{tag}" href="{url}?lang={code}">' in page
    assert f'<link rel="alternate" hreflang="x-default" href="{url}">' in page


def test_a_draft_page_names_no_alternate(client, draft_letter, owner):
    client.force_login(owner)

    assert (
        'hreflang="x-default"' not in client.get(draft_letter.get_absolute_url()).content.decode()
    )


# --- Signing --------------------------------------------------------------------------------------


def test_the_sign_page_shows_the_authoritative_text_beside_the_translation(
    client, make_letter, owner
):
    letter = open_mode_letter(make_letter)
    saved = translate(letter, owner)

    page = client.get(reverse("letters:sign", args=[letter.slug]) + "?lang=bo").content.decode()

    assert 'class="translation-pair"' in page
    assert letter.title in page
    assert BO_TITLE in page
    assert f'name="translation_hash" value="{saved.content_hash}"' in page


def test_a_signature_made_on_the_chinese_page_records_both_texts(client, make_letter, owner):
    # Given an open letter with a Simplified Chinese translation
    letter = open_mode_letter(make_letter)
    saved = translate(letter, owner, language="zh-hans", title=ZH_TITLE, body=ZH_BODY)
    version = selectors.current_version_of(letter)

    # When someone signs from the Chinese sign page
    url = reverse("letters:sign", args=[letter.slug]) + "?lang=zh-hans"
    response = client.post(url, sign_form_data(translation_hash=saved.content_hash))

    # Then the signature binds the authoritative version, and records what was read
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.version == version
    assert signature.version_hash == version.content_hash
    assert signature.translation == saved
    assert signature.translation_hash == saved.content_hash
    assert signature.language == "zh-hans"
    # And its confirmation email is in Chinese
    (email,) = emails_of("signature_confirm")
    assert email.language == "zh-hans"


def test_a_hash_of_another_letters_translation_records_none(client, make_letter, owner):
    letter = open_mode_letter(make_letter)
    other = make_letter(S.OPEN, title="Another letter")
    foreign = translate(other, owner)

    url = reverse("letters:sign", args=[letter.slug]) + "?lang=bo"
    client.post(url, sign_form_data(translation_hash=foreign.content_hash))

    signature = Signature.objects.get()
    assert signature.translation is None
    assert signature.translation_hash == ""


def test_a_signature_without_a_translation_records_none(client, make_letter):
    letter = open_mode_letter(make_letter)

    client.post(reverse("letters:sign", args=[letter.slug]), sign_form_data())

    signature = Signature.objects.get()
    assert (signature.translation, signature.translation_hash, signature.language) == (
        None,
        "",
        "en",
    )


def test_the_service_refuses_a_translation_of_another_letter(make_letter, owner):
    letter = open_mode_letter(make_letter)
    foreign = translate(make_letter(S.OPEN, title="Another letter"), owner)

    with pytest.raises(NotAllowed):
        sign(letter, translation=foreign)
    assert not Signature.objects.exists()


def test_a_substantive_change_asks_signers_to_reconfirm_whatever_they_read(make_letter, owner):
    # Given a signer who read the Tibetan translation
    letter = open_mode_letter(make_letter)
    saved = translate(letter, owner)
    signature = in_state(sign(letter, translation=saved, language="bo"), "approved")

    # When the authoritative text changes in substance
    services.update_letter(letter=letter, actor=owner, body="A new ask.", substantive=True)

    # Then they are asked to re-confirm, in Tibetan, and the translation is out of date
    (email,) = emails_of("signature_reconfirm")
    assert email.language == "bo"
    assert selectors.reading_text(letter, selectors.current_version_of(letter), "bo").out_of_date
    signature.refresh_from_db()
    assert signature.translation_hash == saved.content_hash


def test_the_index_shows_each_letter_in_the_readers_language_in_one_more_query(
    client, django_assert_num_queries, make_letter, owner
):
    translated = make_letter(S.OPEN, title="A translated letter")
    make_letter(S.OPEN, title="An untranslated letter")
    translate(translated, owner, summary="ཕྱོགས་བསྡུས།")

    # The count, the page of letters, their Tibetan translations
    with django_assert_num_queries(3):
        page = client.get(reverse("letters:index") + "?lang=bo").content.decode()

    assert (
        f'<h2 lang="bo" dir="ltr"><a href="{translated.get_absolute_url()}">{BO_TITLE}</a></h2>'
        in page
    )
    assert "ཕྱོགས་བསྡུས།" in page
    assert ">An untranslated letter</a>" in page


def test_an_invitation_names_the_letter_by_its_translation_in_the_invitations_language(
    open_letter, owner
):
    from outbox.models import OutboundEmail

    translate(open_letter, owner, summary="ཕྱོགས་བསྡུས།")

    services.invite(
        letter=open_letter,
        actor=owner,
        email="a@tibet.example.org",
        organisation_name="Tibet A",
        language="bo",
    )
    services.invite(
        letter=open_letter,
        actor=owner,
        email="b@tibet.example.org",
        organisation_name="Tibet B",
        language="ug",
    )

    tibetan, uyghur = OutboundEmail.objects.filter(kind="invitation").order_by("pk")
    assert BO_TITLE in tibetan.subject
    assert "ཕྱོགས་བསྡུས།" in tibetan.body_text
    # No Uyghur translation: the authoritative title, in a Uyghur email
    assert open_letter.title in uyghur.subject
    open_letter.refresh_from_db()
    assert open_letter.title != BO_TITLE  # nothing of the copy was saved
