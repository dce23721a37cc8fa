"""Letters in each state, built through the services exactly as the coordinator pages build
them, and the people around them: the letter's owner and editor, and a coordinator of
another letter."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from letters import services
from letters.models import Letter, LetterCoordinator
from tests.factories import make_coordinator

S = Letter.Status

TITLE = "Raise human rights in Beijing"
BODY = (
    "We, the undersigned organisations, urge you to **raise human rights** during your visit.\n"
    "\n"
    "- Release those detained for peaceful expression.\n"
    "- End transnational repression of Tibetans, Uyghurs and Hong Kongers."
)
RECIPIENT = "The Secretary of State"
SUMMARY = "Organisations urge the Secretary of State to raise human rights in Beijing."


@pytest.fixture
def owner(coordinator):
    """The coordinator who created the letters below (their owner)."""
    return coordinator


@pytest.fixture
def editor(db):
    return make_coordinator(email="editor@lead.example.org", name="Eda Editor")


@pytest.fixture
def other_coordinator(db):
    """In the coordinators group, coordinating a letter of their own, not ours."""
    user = make_coordinator(email="other@elsewhere.example.org")
    services.create_letter(
        author=user, title="Another campaign", body="Another text.", recipient="Someone else"
    )
    return user


@pytest.fixture
def make_letter(owner, editor) -> Callable[..., Letter]:
    """make_letter(status, **create_kwargs): a letter of `owner` (with `editor` as its
    editor) taken to `status` through the services."""

    def make(status: str = S.DRAFT, **kwargs) -> Letter:
        kwargs.setdefault("title", TITLE)
        kwargs.setdefault("body", BODY)
        kwargs.setdefault("recipient", RECIPIENT)
        kwargs.setdefault("summary", SUMMARY)
        kwargs.setdefault("deadline", timezone.now() + dt.timedelta(days=14))
        letter = services.create_letter(author=owner, **kwargs)
        services.add_coordinator(
            letter=letter, actor=owner, email=editor.email, role=LetterCoordinator.Role.EDITOR
        )
        if status != S.DRAFT:
            services.open_letter(letter=letter, actor=owner)
        if status in {S.CLOSED, S.PUBLISHED}:
            services.close_letter(letter=letter, actor=owner)
        if status == S.PUBLISHED:
            services.publish_letter(letter=letter, actor=owner)
        return Letter.objects.get(pk=letter.pk)

    return make


@pytest.fixture
def draft_letter(make_letter):
    return make_letter(S.DRAFT)


@pytest.fixture
def open_letter(make_letter):
    return make_letter(S.OPEN)


@pytest.fixture
def closed_letter(make_letter):
    return make_letter(S.CLOSED)


@pytest.fixture
def published_letter(make_letter):
    return make_letter(S.PUBLISHED)


@pytest.fixture
def letter_in(request) -> Callable[[str], Letter]:
    """letter_in("open") → the open_letter fixture; for tests parametrised by state."""
    return lambda status: request.getfixturevalue(f"{status}_letter")


def letter_state(letter: Letter) -> dict:
    """Everything a refused request must leave as it was."""
    letter = Letter.objects.get(pk=letter.pk)
    return {
        "status": letter.status,
        "title": letter.title,
        "recipient": letter.recipient,
        "deadline": letter.deadline,
        "sign_on_mode": letter.sign_on_mode,
        "versions": list(letter.versions.order_by("number").values_list("number", "content_hash")),
        "coordinators": sorted(letter.coordinators.values_list("user__email", "role")),
        "lead_organisations": sorted(letter.lead_organisations.values_list("pk", flat=True)),
        "events": list(
            AuditEvent.objects.filter(target_type="letters.letter", target_id=letter.pk)
            .order_by("id")
            .values_list("action", flat=True)
        ),
    }
