"""Every legal and every illegal transition of a letter, through its services."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed, TransitionError
from letters import services
from letters.models import Letter, LetterCoordinator, LetterVersion, content_hash
from tests.factories import OrganisationFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.django_db

S = Letter.Status
BODY = "We write on behalf of organisations that report on human rights."


def _letter(coordinator, **kwargs) -> Letter:
    return services.create_letter(
        author=coordinator,
        title=kwargs.pop("title", "Raise human rights in Beijing"),
        body=kwargs.pop("body", BODY),
        recipient="The Secretary of State",
        **kwargs,
    )


def _in_state(coordinator, status: str) -> Letter:
    letter = _letter(coordinator)
    if status == S.DRAFT:
        return letter
    services.open_letter(letter=letter, actor=coordinator)
    if status == S.OPEN:
        return Letter.objects.get(pk=letter.pk)
    services.close_letter(letter=letter, actor=coordinator)
    if status == S.CLOSED:
        return Letter.objects.get(pk=letter.pk)
    services.publish_letter(letter=letter, actor=coordinator)
    return Letter.objects.get(pk=letter.pk)


def _events(letter: Letter) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="letters.letter", target_id=letter.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- create -----------------------------------------------------------------------------------


def test_create_letter_makes_a_draft_with_version_one_and_the_author_as_owner(coordinator):
    lead = OrganisationFactory()

    letter = _letter(coordinator, lead_organisations=[lead])

    assert letter.status == S.DRAFT
    assert letter.slug == "raise-human-rights-in-beijing"
    version = LetterVersion.objects.get(letter=letter)
    assert (version.number, version.is_current, version.author) == (1, True, coordinator)
    assert version.content_hash == content_hash(letter.title, BODY)
    assert list(letter.coordinators.values_list("user", "role")) == [(coordinator.pk, "owner")]
    assert list(letter.lead_organisations.all()) == [lead]
    assert _events(letter) == ["letter.created"]


def test_create_letter_gives_a_unique_slug_to_a_repeated_title(coordinator):
    first = _letter(coordinator)
    second = _letter(coordinator)

    assert (first.slug, second.slug) == (
        "raise-human-rights-in-beijing",
        "raise-human-rights-in-beijing-2",
    )


def test_create_letter_keeps_a_non_latin_title_in_the_slug(coordinator):
    letter = _letter(coordinator, title="致国务卿的联名信")

    assert letter.slug == "致国务卿的联名信"


def test_a_user_outside_the_coordinators_group_cannot_create_letters(db):
    signer = UserFactory()

    with pytest.raises(NotAllowed):
        _letter(signer)

    assert Letter.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_blank_title_is_refused(coordinator):
    with pytest.raises(DomainError):
        _letter(coordinator, title="   ")

    assert Letter.objects.count() == 0


# --- versions ----------------------------------------------------------------------------------


def test_changing_the_text_saves_a_new_current_version(coordinator):
    letter = _in_state(coordinator, S.OPEN)

    version = services.update_letter(
        letter=letter, actor=coordinator, body=BODY + " And Tibet.", substantive=True, note="Tibet"
    )

    assert version is not None
    assert (version.number, version.is_substantive, version.note) == (2, True, "Tibet")
    assert list(letter.versions.filter(is_current=True).values_list("number", flat=True)) == [2]
    assert letter.versions.get(number=1).body == BODY
    assert _events(letter)[-1] == "letter.version_saved"


def test_saving_the_same_text_makes_no_version(coordinator):
    letter = _letter(coordinator)

    version = services.update_letter(letter=letter, actor=coordinator, body=BODY + "\r\n")

    assert version is None
    assert letter.versions.count() == 1
    assert _events(letter) == ["letter.created"]


def test_changes_to_a_draft_are_never_substantive(coordinator):
    letter = _letter(coordinator)

    version = services.update_letter(letter=letter, actor=coordinator, body="New", substantive=True)

    assert version.is_substantive is False


def test_changing_the_title_makes_a_version_and_updates_the_letter(coordinator):
    letter = _letter(coordinator)

    services.update_letter(letter=letter, actor=coordinator, title="  A  new   title ")

    letter.refresh_from_db()
    assert letter.title == "A new title"
    assert letter.versions.get(is_current=True).title == "A new title"


def test_settings_change_without_a_new_version(coordinator):
    letter = _letter(coordinator)
    deadline = timezone.now() + dt.timedelta(days=10)

    version = services.update_letter(
        letter=letter,
        actor=coordinator,
        recipient="The Foreign Secretary",
        deadline=deadline,
        sign_on_mode=Letter.SignOnMode.OPEN,
    )

    letter.refresh_from_db()
    assert version is None
    assert (letter.recipient, letter.deadline, letter.sign_on_mode) == (
        "The Foreign Secretary",
        deadline,
        "open",
    )
    assert _events(letter) == ["letter.created", "letter.settings_changed"]


def test_a_published_letter_cannot_be_changed(coordinator):
    letter = _in_state(coordinator, S.PUBLISHED)

    with pytest.raises(TransitionError):
        services.update_letter(letter=letter, actor=coordinator, body="Rewritten")

    assert letter.versions.count() == 1
    assert _events(letter)[-1] == "letter.published"


def test_someone_who_does_not_coordinate_the_letter_cannot_edit_it(coordinator):
    letter = _letter(coordinator)
    other = make_coordinator()

    with pytest.raises(NotAllowed):
        services.update_letter(letter=letter, actor=other, body="Hijacked")

    assert letter.versions.count() == 1


def test_an_open_letter_cannot_get_a_deadline_in_the_past(coordinator):
    letter = _in_state(coordinator, S.OPEN)

    with pytest.raises(DomainError):
        services.update_letter(
            letter=letter, actor=coordinator, deadline=timezone.now() - dt.timedelta(hours=1)
        )

    letter.refresh_from_db()
    assert letter.deadline is None


def test_unknown_settings_are_a_programming_error(coordinator):
    letter = _letter(coordinator)

    with pytest.raises(ValueError, match="status"):
        services.update_letter(letter=letter, actor=coordinator, status="published")


# --- lifecycle: legal transitions ---------------------------------------------------------------


def test_open_a_draft(coordinator):
    letter = _letter(coordinator)

    services.open_letter(letter=letter, actor=coordinator)

    letter.refresh_from_db()
    assert letter.status == S.OPEN
    assert letter.opened_at is not None
    assert _events(letter) == ["letter.created", "letter.opened"]


def test_close_an_open_letter(coordinator):
    letter = _in_state(coordinator, S.OPEN)

    services.close_letter(letter=letter, actor=coordinator)

    letter.refresh_from_db()
    assert (letter.status, letter.closed_at is not None) == (S.CLOSED, True)
    assert _events(letter)[-1] == "letter.closed"


def test_reopen_a_closed_letter_with_a_later_deadline(coordinator):
    letter = _in_state(coordinator, S.CLOSED)
    deadline = timezone.now() + dt.timedelta(days=3)

    services.reopen_letter(letter=letter, actor=coordinator, deadline=deadline)

    letter.refresh_from_db()
    assert (letter.status, letter.deadline, letter.closed_at) == (S.OPEN, deadline, None)
    assert _events(letter)[-1] == "letter.reopened"


def test_publish_a_closed_letter(coordinator):
    letter = _in_state(coordinator, S.CLOSED)

    services.publish_letter(letter=letter, actor=coordinator)

    letter.refresh_from_db()
    assert letter.status == S.PUBLISHED
    assert letter.published_at is not None
    assert _events(letter)[-1] == "letter.published"


# --- lifecycle: illegal transitions -------------------------------------------------------------

ILLEGAL = [
    ("open", S.OPEN),
    ("open", S.CLOSED),
    ("open", S.PUBLISHED),
    ("close", S.DRAFT),
    ("close", S.CLOSED),
    ("close", S.PUBLISHED),
    ("reopen", S.DRAFT),
    ("reopen", S.OPEN),
    ("reopen", S.PUBLISHED),
    ("publish", S.DRAFT),
    ("publish", S.OPEN),
    ("publish", S.PUBLISHED),
]


def _do(action: str, letter: Letter, actor):
    if action == "open":
        return services.open_letter(letter=letter, actor=actor)
    if action == "close":
        return services.close_letter(letter=letter, actor=actor)
    if action == "reopen":
        return services.reopen_letter(
            letter=letter, actor=actor, deadline=timezone.now() + dt.timedelta(days=1)
        )
    return services.publish_letter(letter=letter, actor=actor)


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_transition_is_refused_and_changes_nothing(coordinator, action, status):
    letter = _in_state(coordinator, status)
    before = Letter.objects.filter(pk=letter.pk).values().get()
    events_before = _events(letter)

    with pytest.raises(TransitionError):
        _do(action, letter, coordinator)

    assert Letter.objects.filter(pk=letter.pk).values().get() == before
    assert _events(letter) == events_before


@pytest.mark.parametrize("action", ["open", "close", "reopen", "publish"])
def test_lifecycle_by_a_non_coordinator_is_refused(coordinator, action):
    state = {"open": S.DRAFT, "close": S.OPEN, "reopen": S.CLOSED, "publish": S.CLOSED}[action]
    letter = _in_state(coordinator, state)
    outsider = make_coordinator()

    with pytest.raises(NotAllowed):
        _do(action, letter, outsider)

    letter.refresh_from_db()
    assert letter.status == state


def test_a_letter_whose_deadline_passed_cannot_be_opened(coordinator):
    letter = _letter(coordinator, deadline=timezone.now() - dt.timedelta(minutes=1))

    with pytest.raises(TransitionError):
        services.open_letter(letter=letter, actor=coordinator)

    letter.refresh_from_db()
    assert (letter.status, letter.opened_at) == (S.DRAFT, None)


def test_a_letter_without_text_cannot_be_opened(coordinator):
    letter = _letter(coordinator, body="   ")

    with pytest.raises(TransitionError):
        services.open_letter(letter=letter, actor=coordinator)

    letter.refresh_from_db()
    assert letter.status == S.DRAFT


def test_reopen_with_a_deadline_in_the_past_is_refused(coordinator):
    letter = _in_state(coordinator, S.CLOSED)

    with pytest.raises(TransitionError):
        services.reopen_letter(
            letter=letter, actor=coordinator, deadline=timezone.now() - dt.timedelta(days=1)
        )

    letter.refresh_from_db()
    assert letter.status == S.CLOSED


# --- the deadline task --------------------------------------------------------------------------


def test_deadline_task_closes_only_open_letters_past_their_deadline(coordinator):
    past_due = _in_state(coordinator, S.OPEN)
    still_open = _in_state(coordinator, S.OPEN)
    no_deadline = _in_state(coordinator, S.OPEN)
    Letter.objects.filter(pk=past_due.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    Letter.objects.filter(pk=still_open.pk).update(deadline=timezone.now() + dt.timedelta(days=1))

    from letters.tasks import close_letters_past_deadline

    closed = close_letters_past_deadline.delay().get()

    assert closed == [past_due.pk]
    statuses = dict(Letter.objects.values_list("pk", "status"))
    assert statuses == {past_due.pk: S.CLOSED, still_open.pk: S.OPEN, no_deadline.pk: S.OPEN}
    event = AuditEvent.objects.get(action="letter.closed", target_id=past_due.pk)
    assert event.actor is None
    assert event.reason == "The sign-on deadline passed."


def test_deadline_task_is_idempotent(coordinator):
    letter = _in_state(coordinator, S.OPEN)
    Letter.objects.filter(pk=letter.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))

    first = services.close_letters_past_deadline()
    second = services.close_letters_past_deadline()

    assert (first, second) == ([letter.pk], [])
    assert AuditEvent.objects.filter(action="letter.closed").count() == 1


# --- coordinators ---------------------------------------------------------------------------------


def test_an_owner_adds_a_co_coordinator_as_editor(coordinator):
    letter = _letter(coordinator)
    colleague = make_coordinator(email="colleague@ngo.example.org")

    services.add_coordinator(letter=letter, actor=coordinator, email="COLLEAGUE@ngo.example.org")

    assert letter.coordinators.get(user=colleague).role == LetterCoordinator.Role.EDITOR
    assert _events(letter)[-1] == "letter.coordinator_added"


def test_only_coordinators_group_members_can_be_added(coordinator):
    letter = _letter(coordinator)
    UserFactory(email="outsider@example.org")

    with pytest.raises(DomainError):
        services.add_coordinator(letter=letter, actor=coordinator, email="outsider@example.org")
    with pytest.raises(DomainError):
        services.add_coordinator(letter=letter, actor=coordinator, email="nobody@example.org")

    assert letter.coordinators.count() == 1


def test_an_editor_cannot_add_coordinators(coordinator):
    letter = _letter(coordinator)
    editor = make_coordinator()
    services.add_coordinator(letter=letter, actor=coordinator, email=editor.email)
    third = make_coordinator()

    with pytest.raises(NotAllowed):
        services.add_coordinator(letter=letter, actor=editor, email=third.email)

    assert letter.coordinators.count() == 2


def test_adding_someone_twice_is_refused(coordinator):
    letter = _letter(coordinator)

    with pytest.raises(DomainError):
        services.add_coordinator(letter=letter, actor=coordinator, email=coordinator.email)

    assert letter.coordinators.count() == 1


def test_the_last_owner_cannot_be_removed(coordinator):
    letter = _letter(coordinator)

    with pytest.raises(DomainError):
        services.remove_coordinator(letter=letter, actor=coordinator, user=coordinator)

    assert letter.coordinators.count() == 1


def test_an_owner_removes_an_editor_and_an_editor_may_step_down(coordinator):
    letter = _letter(coordinator)
    first, second = make_coordinator(), make_coordinator()
    services.add_coordinator(letter=letter, actor=coordinator, email=first.email)
    services.add_coordinator(letter=letter, actor=coordinator, email=second.email)

    services.remove_coordinator(letter=letter, actor=coordinator, user=first)
    services.remove_coordinator(letter=letter, actor=second, user=second)

    assert list(letter.coordinators.values_list("user", flat=True)) == [coordinator.pk]


def test_an_editor_cannot_remove_another_coordinator(coordinator):
    letter = _letter(coordinator)
    editor = make_coordinator()
    services.add_coordinator(letter=letter, actor=coordinator, email=editor.email)

    with pytest.raises(NotAllowed):
        services.remove_coordinator(letter=letter, actor=editor, user=coordinator)

    assert letter.coordinators.count() == 2


def test_with_a_second_owner_the_first_may_go(coordinator):
    letter = _letter(coordinator)
    other = make_coordinator()
    services.add_coordinator(
        letter=letter, actor=coordinator, email=other.email, role=LetterCoordinator.Role.OWNER
    )

    services.remove_coordinator(letter=letter, actor=other, user=coordinator)

    assert list(letter.coordinators.values_list("user", "role")) == [(other.pk, "owner")]


def test_the_last_owner_cannot_be_demoted(coordinator):
    letter = _letter(coordinator)

    with pytest.raises(DomainError):
        services.set_coordinator_role(
            letter=letter, actor=coordinator, user=coordinator, role="editor"
        )

    assert letter.coordinators.get().role == "owner"


# --- visibility -----------------------------------------------------------------------------------


def test_visible_to_hides_drafts_from_everyone_but_their_coordinators(coordinator):
    draft = _letter(coordinator)
    public = _in_state(coordinator, S.OPEN)
    other = make_coordinator()
    from django.contrib.auth.models import AnonymousUser

    assert set(Letter.objects.visible_to(coordinator)) == {draft, public}
    assert set(Letter.objects.visible_to(other)) == {public}
    assert set(Letter.objects.visible_to(AnonymousUser())) == {public}


# --- Transactions ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_use_case_refuses_to_run_inside_a_callers_transaction():
    # Given a caller that opened a transaction of its own
    coordinator = make_coordinator()

    # When it calls a use case inside it
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        _letter(coordinator)

    # Then the use case refused to run: its emails would otherwise wait on the caller's commit
    assert not Letter.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_use_case_runs_in_a_transaction_of_its_own():
    coordinator = make_coordinator()

    letter = _letter(coordinator)

    assert Letter.objects.get().pk == letter.pk
