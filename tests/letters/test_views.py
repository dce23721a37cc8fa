"""The letters pages, for every role: who sees what, what each page does, and that a refused
or confirmation-only request changes nothing."""

import datetime as dt
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from letters import services
from letters.models import Letter, LetterCoordinator, LetterVersion
from tests.factories import make_coordinator
from tests.letters.conftest import BODY, RECIPIENT, SUMMARY, TITLE, letter_state

pytestmark = pytest.mark.django_db

S = Letter.Status
ROLES = ["anonymous", "signer", "other_coordinator", "owner", "editor", "moderator"]
STATES = [S.DRAFT, S.OPEN, S.CLOSED, S.PUBLISHED]


def login(client, request, role: str):
    """Log `client` in as `role` (a fixture name); returns the user, or None if anonymous."""
    if role == "anonymous":
        return None
    user = request.getfixturevalue(role)
    client.force_login(user)
    return user


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def future(days: int = 30) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days)).replace(second=0, microsecond=0)


def local_input(value: dt.datetime) -> str:
    """What a browser's datetime-local input sends: no zone, minutes precision."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


# --- Who may see which page: GET for every role ----------------------------------------------

# Coordinator pages of one letter; {pk} is the editor's LetterCoordinator row.
MANAGEMENT_URLS = [
    ("letters:edit", {}),
    ("letters:settings", {}),
    ("letters:coordinators", {}),
    ("letters:coordinator-remove", {"pk": "editor"}),
    ("letters:open", {}),
    ("letters:close", {}),
    ("letters:reopen", {}),
    ("letters:publish", {}),
    ("letters:versions", {}),
    ("letters:version", {"number": 1}),
]


def management_url(name: str, extra: dict, letter: Letter, editor) -> str:
    kwargs = {"slug": letter.slug}
    for key, value in extra.items():
        kwargs[key] = (
            LetterCoordinator.objects.get(letter=letter, user=editor).pk
            if value == "editor"
            else value
        )
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("status", STATES)
@pytest.mark.parametrize(("name", "extra"), MANAGEMENT_URLS)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "login"),
        ("signer", 404),
        ("other_coordinator", 404),
        ("owner", 200),
        ("editor", 200),
        ("moderator", 404),
    ],
)
def test_management_pages_answer_only_the_letters_coordinators(
    client, request, letter_in, editor, status, name, extra, role, expected
):
    # Given a letter in each state
    letter = letter_in(status)
    before = letter_state(letter)
    login(client, request, role)

    # When someone opens one of its coordinator pages
    response = client.get(management_url(name, extra, letter, editor))

    # Then only its coordinators see it; anonymous visitors are asked to log in first;
    # everyone else is told it does not exist; and a GET changes nothing
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    assert letter_state(letter) == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "login"),
        ("signer", 405),
        ("other_coordinator", 405),
        ("owner", 405),
        ("editor", 405),
        ("moderator", 405),
    ],
)
def test_the_role_change_url_takes_only_posts(
    client, request, draft_letter, editor, role, expected
):
    pk = LetterCoordinator.objects.get(letter=draft_letter, user=editor).pk
    login(client, request, role)

    response = client.get(reverse("letters:coordinator-role", args=[draft_letter.slug, pk]))

    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("status", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_the_letter_page_of_a_draft_is_not_found_except_for_its_coordinators(
    client, request, letter_in, status, role
):
    letter = letter_in(status)
    login(client, request, role)

    response = client.get(letter.get_absolute_url())

    visible = status != S.DRAFT or role in {"owner", "editor"}
    assert response.status_code == (200 if visible else 404)


def test_a_missing_letter_is_not_found(client):
    assert client.get(reverse("letters:detail", args=["no-such-letter"])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_the_index(client, request, role):
    login(client, request, role)

    assert client.get(reverse("letters:index")).status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "login"),
        ("signer", 403),
        ("other_coordinator", 200),
        ("owner", 200),
        ("editor", 200),
        ("moderator", 403),
    ],
)
def test_the_dashboard_is_for_the_coordinators_group(client, request, role, expected):
    login(client, request, role)

    response = client.get(reverse("letters:dashboard"))

    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected


# --- Refused writes change nothing -----------------------------------------------------------


def _post_for(name: str, letter: Letter, editor, other) -> tuple[str, dict]:
    """A valid POST to each coordinator action, so that only permission can refuse it."""
    editor_pk = LetterCoordinator.objects.get(letter=letter, user=editor).pk
    args = [letter.slug, editor_pk] if name.startswith("letters:coordinator-") else [letter.slug]
    data = {
        "letters:edit": {
            "title": "Hijacked",
            "body": "Other words.",
            "base_version": 1,
            "action": "save",
        },
        "letters:settings": {
            "recipient": "Someone else",
            "summary": "",
            "deadline": local_input(future()),
            "publication_date": "",
            "sign_on_mode": Letter.SignOnMode.OPEN,
            "moderation_policy": Letter.ModerationPolicy.REVIEW_ALL,
        },
        "letters:coordinators": {"email": other.email, "role": "owner"},
        "letters:coordinator-role": {"role": "owner"},
        "letters:reopen": {"deadline": local_input(future())},
    }.get(name, {})
    return reverse(name, args=args), data


# Each action on a letter in the state where it would succeed for a coordinator.
ACTIONS = [
    ("letters:edit", S.OPEN),
    ("letters:settings", S.OPEN),
    ("letters:coordinators", S.DRAFT),
    ("letters:coordinator-role", S.DRAFT),
    ("letters:coordinator-remove", S.DRAFT),
    ("letters:open", S.DRAFT),
    ("letters:close", S.OPEN),
    ("letters:reopen", S.CLOSED),
    ("letters:publish", S.CLOSED),
]


@pytest.mark.parametrize(("name", "status"), ACTIONS)
@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", "login"), ("signer", 404), ("other_coordinator", 404), ("moderator", 404)],
)
def test_a_post_from_anyone_but_a_coordinator_is_refused_and_changes_nothing(
    client, request, letter_in, editor, other_coordinator, name, status, role, expected
):
    # Given a letter in the state where the action would work for its coordinators
    letter = letter_in(status)
    url, data = _post_for(name, letter, editor, other_coordinator)
    before = letter_state(letter)
    login(client, request, role)

    # When someone else posts it
    response = client.post(url, data)

    # Then it is refused and nothing changed
    if expected == "login":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected
    assert letter_state(letter) == before


@pytest.mark.parametrize(("name", "status"), ACTIONS)
def test_each_action_works_for_the_owner(
    client, letter_in, owner, editor, other_coordinator, name, status
):
    # The counterpart of the refusals above: the same request does change the letter.
    letter = letter_in(status)
    url, data = _post_for(name, letter, editor, other_coordinator)
    before = letter_state(letter)
    client.force_login(owner)

    response = client.post(url, data)

    assert response.status_code == 302
    assert letter_state(letter) != before


@pytest.mark.parametrize(
    "name", ["letters:coordinators", "letters:coordinator-role", "letters:coordinator-remove"]
)
def test_an_editor_cannot_manage_the_other_coordinators(
    client, draft_letter, owner, editor, other_coordinator, name
):
    # Given the owner's letter, on which `editor` is an editor
    # (the remove case targets the owner, not the editor themself)
    url, data = _post_for(name, draft_letter, editor, other_coordinator)
    if name == "letters:coordinator-remove":
        owner_pk = LetterCoordinator.objects.get(letter=draft_letter, user=owner).pk
        url = reverse(name, args=[draft_letter.slug, owner_pk])
    if name == "letters:coordinator-role":
        owner_pk = LetterCoordinator.objects.get(letter=draft_letter, user=owner).pk
        url, data = reverse(name, args=[draft_letter.slug, owner_pk]), {"role": "editor"}
    before = letter_state(draft_letter)
    client.force_login(editor)

    # When the editor tries
    response = client.post(url, data, follow=True)

    # Then the service refuses with a message and nothing changed
    assert response.status_code == 200
    assert "Only the letter's owners can" in text_of(response)
    assert letter_state(draft_letter) == before


@pytest.mark.parametrize("role", ["anonymous", "signer", "moderator"])
def test_create_is_refused_outside_the_coordinators_group(client, request, role):
    login(client, request, role)

    response = client.post(
        reverse("letters:create"),
        {"title": TITLE, "recipient": RECIPIENT, "summary": "", "body": BODY, "action": "save"},
    )

    if role == "anonymous":
        assert is_login_redirect(response)
    else:  # the page that says how to become a coordinator, its request form unfilled
        assert response.status_code == 200
        assert 'name="purpose"' in response.content.decode()
    assert Letter.objects.count() == 0
    assert AuditEvent.objects.count() == 0


# --- Creating and editing --------------------------------------------------------------------


def test_create_saves_a_draft_with_version_one_and_shows_it_to_its_coordinator(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("letters:create"),
        {
            "title": TITLE,
            "recipient": RECIPIENT,
            "summary": SUMMARY,
            "body": BODY,
            "action": "save",
        },
    )

    letter = Letter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("letters:detail", args=[letter.slug])
    assert (letter.status, letter.title, letter.recipient, letter.summary) == (
        S.DRAFT,
        TITLE,
        RECIPIENT,
        SUMMARY,
    )
    assert list(letter.versions.values_list("number", "body", "author")) == [(1, BODY, owner.pk)]
    assert list(letter.coordinators.values_list("user", "role")) == [(owner.pk, "owner")]
    page = client.get(response["Location"])
    assert "This is a draft." in text_of(page)


def test_create_preview_renders_the_markdown_and_saves_nothing(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("letters:create"),
        {"title": TITLE, "recipient": RECIPIENT, "summary": "", "body": BODY, "action": "preview"},
    )

    assert response.status_code == 200
    assert "Preview — not saved yet" in text_of(response)
    assert b"<strong>raise human rights</strong>" in response.content
    assert Letter.objects.count() == 0


def test_create_with_a_blank_title_shows_the_error_and_saves_nothing(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("letters:create"),
        {"title": "   ", "recipient": RECIPIENT, "summary": "", "body": BODY, "action": "save"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"title": ["This field is required."]}
    assert Letter.objects.count() == 0


def _edit(client, letter, *, action="save", base_version=1, follow=False, **overrides):
    data = {
        "title": TITLE,
        "body": BODY + "\n\nWe also ask for access for independent observers.",
        "is_substantive": "on",
        "note": "Added observers",
        "base_version": base_version,
        "action": action,
    }
    data.update(overrides)
    return client.post(reverse("letters:edit", args=[letter.slug]), data, follow=follow)


def test_edit_saves_version_two_and_shows_the_word_diff(client, editor, open_letter):
    client.force_login(editor)

    response = _edit(client, open_letter)

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:versions", args=[open_letter.slug])
    version = LetterVersion.objects.get(letter=open_letter, is_current=True)
    assert (version.number, version.author, version.is_substantive, version.note) == (
        2,
        editor,
        True,
        "Added observers",
    )
    history = client.get(response["Location"])
    assert history.context["old"].number == 1
    assert history.context["new"].number == 2
    assert "<ins>" in history.content.decode()
    assert "observers" in text_of(history)
    assert "Saved as version 2." in text_of(history)


def test_edit_preview_shows_the_text_and_the_changes_and_saves_nothing(client, owner, open_letter):
    before = letter_state(open_letter)
    client.force_login(owner)

    response = _edit(client, open_letter, action="preview")

    assert response.status_code == 200
    assert "Preview — not saved yet" in text_of(response)
    assert "<ins>" in response.content.decode()
    assert letter_state(open_letter) == before


def test_edit_on_top_of_a_version_saved_meanwhile_is_held_back(client, owner, editor, open_letter):
    # Given the editor saved version 2 while the owner was still editing version 1
    services.update_letter(letter=open_letter, actor=editor, body=BODY + "\n\nEditor's line.")
    before = letter_state(open_letter)
    client.force_login(owner)

    # When the owner saves their edit of version 1
    response = _edit(client, open_letter, base_version=1)

    # Then nothing is saved; the form now sits on version 2 and links to the comparison
    assert response.status_code == 200
    assert "Someone saved version 2 while you were editing." in text_of(response)
    assert response.context["form"]["base_version"].value() == 2
    assert "?from=1&to=2" in text_of(response)
    assert letter_state(open_letter) == before


def test_edit_with_the_same_text_saves_no_version(client, owner, draft_letter):
    before = letter_state(draft_letter)
    client.force_login(owner)

    response = _edit(client, draft_letter, body=BODY, follow=True)

    assert response.redirect_chain == [(draft_letter.get_absolute_url(), 302)]
    assert messages_of(response) == ["Nothing changed: the text is the same as before."]
    assert letter_state(draft_letter) == before


def test_a_draft_edit_is_never_substantive_and_hides_the_checkbox(client, owner, draft_letter):
    client.force_login(owner)

    page = client.get(reverse("letters:edit", args=[draft_letter.slug]))
    _edit(client, draft_letter)

    assert 'name="is_substantive"' not in page.content.decode()
    assert LetterVersion.objects.get(letter=draft_letter, number=2).is_substantive is False


def test_a_published_letter_cannot_be_edited(client, owner, published_letter):
    before = letter_state(published_letter)
    client.force_login(owner)

    page = client.get(reverse("letters:edit", args=[published_letter.slug]))
    response = _edit(client, published_letter)

    assert "its text is final" in text_of(page)
    assert 'name="body"' not in page.content.decode()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["A published letter cannot be changed."]
    assert letter_state(published_letter) == before


# --- Settings --------------------------------------------------------------------------------


def test_settings_are_saved_with_the_deadline_read_as_utc(client, owner, draft_letter):
    client.force_login(owner)

    page = client.get(reverse("letters:settings", args=[draft_letter.slug]))
    response = client.post(
        reverse("letters:settings", args=[draft_letter.slug]),
        {
            "recipient": "The Prime Minister",
            "summary": "A new summary.",
            "deadline": "2031-03-01T17:30",
            "publication_date": "2031-03-10",
            "sign_on_mode": Letter.SignOnMode.OPEN,
            "moderation_policy": Letter.ModerationPolicy.AUTO_VERIFIED,
            "signatories_public_while_open": "on",
        },
    )

    # Lead organisations are asked on a page of their own (tests/security)
    assert "lead_organisations" not in page.context["form"].fields
    assert "in UTC" in text_of(page)
    assert response.status_code == 302
    letter = Letter.objects.get(pk=draft_letter.pk)
    assert letter.recipient == "The Prime Minister"
    assert letter.summary == "A new summary."
    assert letter.deadline == dt.datetime(2031, 3, 1, 17, 30, tzinfo=dt.UTC)
    assert letter.publication_date == dt.date(2031, 3, 10)
    assert letter.sign_on_mode == Letter.SignOnMode.OPEN
    assert letter.moderation_policy == Letter.ModerationPolicy.AUTO_VERIFIED
    assert letter.signatories_public_while_open is True
    assert letter_state(letter)["events"][-1] == "letter.settings_changed"


def test_settings_show_the_deadline_in_utc(client, owner, make_letter):
    letter = make_letter(deadline=dt.datetime(2031, 3, 1, 17, 30, tzinfo=dt.UTC))
    client.force_login(owner)

    page = client.get(reverse("letters:settings", args=[letter.slug]))

    assert 'value="2031-03-01T17:30"' in page.content.decode()


def test_a_past_deadline_for_an_open_letter_is_refused(client, owner, open_letter):
    before = letter_state(open_letter)
    client.force_login(owner)

    response = client.post(
        reverse("letters:settings", args=[open_letter.slug]),
        {
            "recipient": RECIPIENT,
            "summary": SUMMARY,
            "deadline": "2001-01-01T00:00",
            "sign_on_mode": Letter.SignOnMode.INVITATION,
            "moderation_policy": Letter.ModerationPolicy.REVIEW_ALL,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The deadline of an open letter must be in the future."
    ]
    assert letter_state(open_letter) == before


# --- Coordinators ----------------------------------------------------------------------------


def test_the_owner_adds_a_co_coordinator_by_email(client, owner, draft_letter):
    newcomer = make_coordinator(email="newcomer@lead.example.org")
    client.force_login(owner)

    response = client.post(
        reverse("letters:coordinators", args=[draft_letter.slug]),
        {"email": "Newcomer@Lead.example.org", "role": "editor"},
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "newcomer@lead.example.org now coordinates this letter as Editor."
    ]
    assert LetterCoordinator.objects.get(letter=draft_letter, user=newcomer).role == "editor"
    # The new co-coordinator can now see the draft
    client.force_login(newcomer)
    assert client.get(draft_letter.get_absolute_url()).status_code == 200


def test_adding_someone_outside_the_coordinators_group_is_refused(
    client, owner, signer, draft_letter
):
    before = letter_state(draft_letter)
    client.force_login(owner)

    response = client.post(
        reverse("letters:coordinators", args=[draft_letter.slug]),
        {"email": signer.email, "role": "editor"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"{signer.email} is not a coordinator on Undersigned. They need a confirmed account in "
        "the coordinators group; ask an administrator to add them."
    ]
    assert letter_state(draft_letter) == before


def test_removing_a_co_coordinator_goes_through_a_confirmation(client, owner, editor, draft_letter):
    pk = LetterCoordinator.objects.get(letter=draft_letter, user=editor).pk
    url = reverse("letters:coordinator-remove", args=[draft_letter.slug, pk])
    client.force_login(owner)

    page = client.get(url)
    after_get = letter_state(draft_letter)
    response = client.post(url, follow=True)

    assert f"Remove {editor.email}?" in text_of(page)
    assert editor.email in [email for email, _role in after_get["coordinators"]]
    assert messages_of(response) == [f"{editor.email} no longer coordinates this letter."]
    assert not LetterCoordinator.objects.filter(letter=draft_letter, user=editor).exists()
    client.force_login(editor)
    assert client.get(draft_letter.get_absolute_url()).status_code == 404


def test_the_last_owner_cannot_step_down(client, owner, draft_letter):
    pk = LetterCoordinator.objects.get(letter=draft_letter, user=owner).pk
    before = letter_state(draft_letter)
    client.force_login(owner)

    response = client.post(
        reverse("letters:coordinator-remove", args=[draft_letter.slug, pk]), follow=True
    )

    assert response.redirect_chain == [
        (reverse("letters:coordinators", args=[draft_letter.slug]), 302)
    ]
    assert messages_of(response) == [
        "The last owner cannot be removed. Make someone else an owner first."
    ]
    assert letter_state(draft_letter) == before


def test_an_editor_may_step_down(client, editor, draft_letter):
    pk = LetterCoordinator.objects.get(letter=draft_letter, user=editor).pk
    client.force_login(editor)

    response = client.post(reverse("letters:coordinator-remove", args=[draft_letter.slug, pk]))

    assert response["Location"] == reverse("letters:dashboard")
    assert not LetterCoordinator.objects.filter(letter=draft_letter, user=editor).exists()


def test_the_owner_changes_a_role(client, owner, editor, draft_letter):
    pk = LetterCoordinator.objects.get(letter=draft_letter, user=editor).pk
    client.force_login(owner)

    response = client.post(
        reverse("letters:coordinator-role", args=[draft_letter.slug, pk]), {"role": "owner"}
    )

    assert response.status_code == 302
    assert LetterCoordinator.objects.get(pk=pk).role == "owner"
    assert letter_state(draft_letter)["events"][-1] == "letter.coordinator_role_changed"


def test_the_last_owner_cannot_become_an_editor(client, owner, draft_letter):
    pk = LetterCoordinator.objects.get(letter=draft_letter, user=owner).pk
    before = letter_state(draft_letter)
    client.force_login(owner)

    response = client.post(
        reverse("letters:coordinator-role", args=[draft_letter.slug, pk]),
        {"role": "editor"},
        follow=True,
    )

    assert messages_of(response) == ["A letter needs at least one owner."]
    assert letter_state(draft_letter) == before


def test_a_coordinator_row_of_another_letter_is_not_found(client, owner, editor, make_letter):
    mine = make_letter()
    other = make_letter()
    foreign_pk = LetterCoordinator.objects.get(letter=other, user=editor).pk
    client.force_login(owner)

    response = client.post(reverse("letters:coordinator-remove", args=[mine.slug, foreign_pk]))

    assert response.status_code == 404
    assert LetterCoordinator.objects.filter(pk=foreign_pk).exists()


# --- Lifecycle through the confirmation pages ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("letters:open", S.DRAFT),
        ("letters:close", S.OPEN),
        ("letters:reopen", S.CLOSED),
        ("letters:publish", S.CLOSED),
    ],
)
def test_a_get_on_a_lifecycle_url_only_explains(client, owner, letter_in, name, status):
    letter = letter_in(status)
    before = letter_state(letter)
    client.force_login(owner)

    response = client.get(reverse(name, args=[letter.slug]))

    assert response.status_code == 200
    assert "What happens" in text_of(response)
    assert '<form method="post"' in response.content.decode()
    assert letter_state(letter) == before


def test_the_whole_lifecycle_through_the_confirmation_pages(client, owner, draft_letter):
    client.force_login(owner)
    slug = draft_letter.slug

    opened = client.post(reverse("letters:open", args=[slug]), follow=True)
    assert messages_of(opened) == ["The letter is open for signatures."]
    assert Letter.objects.get(pk=draft_letter.pk).status == S.OPEN

    closed = client.post(reverse("letters:close", args=[slug]), follow=True)
    assert messages_of(closed) == ["Sign-on is closed."]
    assert Letter.objects.get(pk=draft_letter.pk).status == S.CLOSED

    new_deadline = future(days=7)
    reopened = client.post(
        reverse("letters:reopen", args=[slug]), {"deadline": local_input(new_deadline)}, follow=True
    )
    assert messages_of(reopened) == ["Sign-on is open again."]
    letter = Letter.objects.get(pk=draft_letter.pk)
    assert (letter.status, letter.deadline) == (S.OPEN, new_deadline)

    client.post(reverse("letters:close", args=[slug]), follow=True)
    published = client.post(reverse("letters:publish", args=[slug]), follow=True)
    assert messages_of(published) == ["The letter is published."]
    assert published.redirect_chain == [(draft_letter.get_absolute_url(), 302)]
    assert Letter.objects.get(pk=draft_letter.pk).status == S.PUBLISHED
    assert letter_state(draft_letter)["events"] == [
        "letter.created",
        "letter.coordinator_added",
        "letter.opened",
        "letter.closed",
        "letter.reopened",
        "letter.closed",
        "letter.published",
    ]


def test_reopen_with_a_deadline_in_the_past_is_refused(client, owner, closed_letter):
    before = letter_state(closed_letter)
    client.force_login(owner)

    response = client.post(
        reverse("letters:reopen", args=[closed_letter.slug]), {"deadline": "2001-01-01T00:00"}
    )

    assert response.status_code == 200
    assert messages_of(response) == ["The new deadline must be in the future."]
    assert letter_state(closed_letter) == before


def test_opening_a_draft_whose_deadline_passed_is_refused(client, owner, make_letter):
    letter = make_letter(deadline=timezone.now() - dt.timedelta(hours=1))
    before = letter_state(letter)
    client.force_login(owner)

    page = client.get(reverse("letters:open", args=[letter.slug]))
    response = client.post(reverse("letters:open", args=[letter.slug]))

    assert "The deadline has passed" in text_of(page)
    assert response.status_code == 200
    assert messages_of(response) == ["The deadline has passed: set a later one before opening."]
    assert letter_state(letter) == before


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("letters:open", S.OPEN),
        ("letters:close", S.CLOSED),
        ("letters:reopen", S.PUBLISHED),
        ("letters:publish", S.OPEN),
    ],
)
def test_a_transition_from_the_wrong_state_is_refused(client, owner, letter_in, name, status):
    letter = letter_in(status)
    before = letter_state(letter)
    client.force_login(owner)

    page = client.get(reverse(name, args=[letter.slug]))
    response = client.post(reverse(name, args=[letter.slug]), {"deadline": ""})

    assert "this step is not possible now" in text_of(page)
    assert response.status_code == 200
    assert messages_of(response) == [
        f"This is not possible while the letter is “{letter.get_status_display()}”."
    ]
    assert letter_state(letter) == before


def test_publishing_before_the_publication_date_warns_about_the_embargo(client, owner, make_letter):
    letter = make_letter(S.CLOSED, publication_date=timezone.localdate() + dt.timedelta(days=3))
    client.force_login(owner)

    page = client.get(reverse("letters:publish", args=[letter.slug]))

    assert "before its embargo ends" in text_of(page)


# --- Versions --------------------------------------------------------------------------------


def test_the_history_lists_every_version_and_compares_any_two(client, owner, editor, open_letter):
    services.update_letter(letter=open_letter, actor=editor, body="First rewrite.", note="Shorter")
    services.update_letter(
        letter=open_letter, actor=owner, body="Second rewrite.", substantive=True
    )
    client.force_login(owner)

    default = client.get(reverse("letters:versions", args=[open_letter.slug]))
    chosen = client.get(reverse("letters:versions", args=[open_letter.slug]), {"from": 1, "to": 3})

    assert [v.number for v in default.context["versions"]] == [3, 2, 1]
    assert (default.context["old"].number, default.context["new"].number) == (2, 3)
    assert "<del>First</del>" in default.content.decode()
    assert "<ins>Second</ins>" in default.content.decode()
    page = text_of(default)
    assert "Shorter" in page
    assert "Substantive" in page
    assert editor.name in page
    assert (chosen.context["old"].number, chosen.context["new"].number) == (1, 3)
    assert "<del>We, the undersigned" in chosen.content.decode()


def test_the_history_of_a_single_version_says_so(client, owner, draft_letter):
    client.force_login(owner)

    response = client.get(reverse("letters:versions", args=[draft_letter.slug]))

    assert "There is only one version so far." in text_of(response)


def test_an_unknown_version_in_the_comparison_falls_back_to_the_default(
    client, owner, draft_letter
):
    client.force_login(owner)

    response = client.get(
        reverse("letters:versions", args=[draft_letter.slug]), {"from": 9, "to": "x"}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"from", "to"}
    assert (response.context["old"].number, response.context["new"].number) == (1, 1)


def test_one_version_shows_its_full_text_and_hash(client, owner, open_letter):
    version = LetterVersion.objects.get(letter=open_letter, number=1)
    client.force_login(owner)

    response = client.get(reverse("letters:version", args=[open_letter.slug, 1]))
    missing = client.get(reverse("letters:version", args=[open_letter.slug, 2]))

    assert version.content_hash in response.content.decode()
    assert b"<strong>raise human rights</strong>" in response.content
    assert missing.status_code == 404


# --- The public letter page ------------------------------------------------------------------


def test_the_letter_page_shows_the_rendered_text_version_hashes_and_count(
    client, owner, open_letter
):
    services.update_letter(letter=open_letter, actor=owner, body=BODY + "\n\nOne more line.")
    versions = list(LetterVersion.objects.filter(letter=open_letter).order_by("number"))

    response = client.get(open_letter.get_absolute_url())

    content = response.content.decode()
    assert "<strong>raise human rights</strong>" in content
    assert "<li>Release those detained for peaceful expression.</li>" in content
    # Under embargo (the default while open) the page gives no number at all
    assert response.context["signatories"].public is False
    page = text_of(response)
    assert "The list of signatories, and their number, will be made public" in page
    assert "have signed" not in page
    assert f"Version 2, saved on {versions[1].created_at:%-d %B %Y}" in page
    for version in versions:
        assert f'<summary><code class="code">{version.short_hash}</code></summary>' in content
        assert f'<code class="code">{version.content_hash}</code>' in content
    assert f"<strong>To:</strong> <bdi>{RECIPIENT}</bdi></p>" in content


def test_the_letter_page_never_renders_raw_html_from_the_text(client, owner, make_letter):
    letter = make_letter(
        S.OPEN, body='<script>alert("x")</script>\n\n[link](javascript:alert(1)) *fine*'
    )

    response = client.get(letter.get_absolute_url())

    content = response.content.decode()
    assert "<script>alert" not in content
    assert 'href="javascript' not in content
    assert "<em>fine</em>" in content


def test_the_letter_page_has_link_preview_tags(client, settings, open_letter):
    settings.SITE_URL = "https://undersigned.example"

    response = client.get(open_letter.get_absolute_url())

    content = response.content.decode()
    url = f"https://undersigned.example/letters/{open_letter.slug}/"
    assert f'<meta property="og:title" content="{TITLE}">' in content
    assert f'<meta property="og:description" content="{SUMMARY}">' in content
    assert f'<meta property="og:url" content="{url}">' in content
    assert '<meta property="og:type" content="article">' in content
    assert '<meta name="twitter:card" content="summary">' in content


def test_without_a_summary_the_preview_uses_the_start_of_the_text(client, make_letter):
    letter = make_letter(S.OPEN, summary="", body="We **urge** you to act.\n\n" + "word " * 100)

    response = client.get(letter.get_absolute_url())

    description = response.context["og_description"]
    assert description.startswith("We urge you to act. word word")
    assert description.endswith("…")
    assert f'<meta property="og:description" content="{description}">' in response.content.decode()


@pytest.mark.parametrize(
    ("status", "mode", "shown", "hidden"),
    [
        (
            S.OPEN,
            Letter.SignOnMode.INVITATION,
            [
                "Sign this letter",
                "Organisations can sign until 1 March 2031, 17:30 UTC.",
                "Signing is by invitation",
            ],
            ["Sign-on has closed", "Published on"],
        ),
        (
            S.OPEN,
            Letter.SignOnMode.OPEN,
            ["Sign this letter", "Organisations can sign until 1 March 2031, 17:30 UTC."],
            ["Signing is by invitation", "Sign-on has closed"],
        ),
        (S.CLOSED, Letter.SignOnMode.OPEN, ["Sign-on has closed"], ["Sign this letter"]),
        (
            S.PUBLISHED,
            Letter.SignOnMode.OPEN,
            ["Published on "],
            ["Sign this letter", "Sign-on has closed"],
        ),
    ],
)
def test_the_call_to_sign_follows_the_state(client, make_letter, status, mode, shown, hidden):
    letter = make_letter(
        status, sign_on_mode=mode, deadline=dt.datetime(2031, 3, 1, 17, 30, tzinfo=dt.UTC)
    )

    page = text_of(client.get(letter.get_absolute_url()))

    for text in shown:
        assert text in page
    for text in hidden:
        assert text not in page
    if status == S.PUBLISHED:
        assert f"Published on {letter.published_at:%-d %B %Y}" in page
    assert 'href="#sign"' not in page


def test_coordinators_see_their_tools_on_the_letter_page_and_others_do_not(
    client, owner, signer, open_letter
):
    client.force_login(owner)
    as_owner = client.get(open_letter.get_absolute_url()).content.decode()
    client.force_login(signer)
    as_signer = client.get(open_letter.get_absolute_url()).content.decode()

    close_url = reverse("letters:close", args=[open_letter.slug])
    assert close_url in as_owner
    assert close_url not in as_signer
    assert reverse("letters:edit", args=[open_letter.slug]) not in as_signer


# --- Index and dashboard ---------------------------------------------------------------------


def test_the_index_lists_open_and_published_letters_newest_first(client, make_letter):
    make_letter(S.DRAFT, title="A draft")
    first = make_letter(S.OPEN, title="Opened first")
    make_letter(S.CLOSED, title="Closed")
    second = make_letter(S.PUBLISHED, title="Published later")

    response = client.get(reverse("letters:index"))

    assert [letter.pk for letter in response.context["page"].object_list] == [second.pk, first.pk]
    assert "A draft" not in text_of(response)


def test_the_index_shows_twenty_letters_a_page(client, owner):
    for n in range(21):
        letter = services.create_letter(
            author=owner, title=f"Letter {n}", body="Text.", recipient="Someone"
        )
        services.open_letter(letter=letter, actor=owner)

    first = client.get(reverse("letters:index"))
    second = client.get(reverse("letters:index"), {"page": 2})

    assert len(first.context["page"].object_list) == 20
    assert [letter.title for letter in second.context["page"].object_list] == ["Letter 0"]
    assert 'href="?page=2"' in first.content.decode()


def test_the_index_has_an_empty_state(client):
    response = client.get(reverse("letters:index"))

    assert "No letters are open or published yet." in text_of(response)


def test_the_dashboard_lists_my_letters_only_drafts_first(
    client, owner, other_coordinator, make_letter
):
    opened = make_letter(S.OPEN, title="Opened")
    draft = make_letter(S.DRAFT, title="Drafted")
    client.force_login(owner)

    response = client.get(reverse("letters:dashboard"))

    assert [letter.pk for letter in response.context["page"].object_list] == [draft.pk, opened.pk]
    page = text_of(response)
    assert "Another campaign" not in page
    for column in ("Invited", "Awaiting review", "Approved"):
        assert column in page
    assert reverse("letters:create") in response.content.decode()


def test_the_dashboard_has_an_empty_state_with_a_new_letter_button(client, owner):
    client.force_login(owner)

    response = client.get(reverse("letters:dashboard"))

    assert "You do not coordinate any letter yet." in text_of(response)
    assert f'href="{reverse("letters:create")}"' in response.content.decode()


def test_every_audit_event_of_the_views_names_the_actor(client, owner, draft_letter):
    client.force_login(owner)

    client.post(reverse("letters:open", args=[draft_letter.slug]))

    event = AuditEvent.objects.filter(action="letter.opened").get()
    assert (event.actor, event.target_id) == (owner, draft_letter.pk)


# --- The letter's management tabs -----------------------------------------------------------


def _subnav_links(content: str) -> dict[str, str]:
    import re

    nav = re.search(r'<nav class="subnav".*?</nav>', content, re.S)
    assert nav, "no management tabs"
    return {label: attrs for attrs, label in re.findall(r"<a ([^>]*)>([^<]+)</a>", nav.group(0))}


def test_the_letters_tabs_lead_to_its_signatures_page(client, owner, make_letter):
    # Given a coordinator on their letter's page
    letter = make_letter(Letter.Status.OPEN)
    client.force_login(owner)

    page = client.get(letter.get_absolute_url()).content.decode()

    # Then a tab leads to the Signatures page, which marks its own tab as current
    tabs = _subnav_links(page)
    signatures_url = reverse("letters:letter-signatures", args=[letter.slug])
    assert f'href="{signatures_url}"' in tabs["Signatures"]
    content = client.get(signatures_url).content.decode()
    tabs = _subnav_links(content)
    assert 'aria-current="page"' in tabs["Signatures"]
    assert 'aria-current="page"' not in tabs["Invitations"]


def test_a_moderator_reading_the_signatures_page_gets_no_coordinator_tabs(
    client, moderator, make_letter
):
    letter = make_letter(Letter.Status.OPEN)
    client.force_login(moderator)

    content = client.get(reverse("letters:letter-signatures", args=[letter.slug])).content
    assert b'class="subnav"' not in content
