"""Letters with signatories in every visibility, made quickly: the signatures are written
directly (how they got approved is the signing tests' business), then the cache starts empty
because every test has its own (tests/conftest.py)."""

import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from pypdf import PdfReader

from letters.models import Letter, LetterVersion, Signature
from organisations.models import Organisation
from tests.factories import OrganisationFactory, SignatureFactory
from tests.letters import conftest as letters_fixtures

# The letters' fixtures (a letter in each state, built through the services, its owner and
# editor, another coordinator), shared with these tests.
owner = letters_fixtures.owner
editor = letters_fixtures.editor
other_coordinator = letters_fixtures.other_coordinator
make_letter = letters_fixtures.make_letter
draft_letter = letters_fixtures.draft_letter
open_letter = letters_fixtures.open_letter
closed_letter = letters_fixtures.closed_letter
published_letter = letters_fixtures.published_letter

V = Signature.Visibility
S = Letter.Status

# Names in the scripts signatories really use: Latin with accents, Chinese, Tibetan, Uyghur
# (Arabic script).
CJK_NAME = "香港人權監察"
TIBETAN_NAME = "བོད་ཀྱི་བུད་མེད་ཚོགས་པ།"
UYGHUR_NAME = "ئۇيغۇر ئاكادېمىيىسى"


def sign_as(
    letter: Letter,
    name: str,
    *,
    based_in: str = "Tibet",
    visibility: str = V.PUBLIC,
    status: str = Signature.Status.APPROVED,
    signer_name: str = "",
    signer_title: str = "",
    signer_email: str = "",
    show_signer_name: bool = False,
    organisation: Organisation | None = None,
    version: LetterVersion | None = None,
    signed_at: dt.datetime | None = None,
) -> Signature:
    """An approved (by default) signature of a new organisation called `name`, written
    directly (SignatureFactory): it bypasses the services, so the letter's public list is
    not invalidated; read the list in a fresh request, never after a cached one."""
    if organisation is None:
        organisation = OrganisationFactory(name=name, based_in=based_in)
    slug = re.sub(r"\W+", "", organisation.slug)[:20] or "org"
    # The letter's current version unless told otherwise (the factory's default).
    on_version = {"version": version} if version is not None else {}
    return SignatureFactory(
        letter=letter,
        organisation=organisation,
        **on_version,
        signer_name=signer_name or f"Signer of {name}",
        signer_title=signer_title,
        signer_email=signer_email or f"contact-{organisation.pk}-{slug}@ngo.example.net",
        visibility=visibility,
        show_signer_name=show_signer_name,
        signed_at=signed_at or timezone.now(),
        **{status: True},
    )


@pytest.fixture
def public_open_letter(make_letter) -> Letter:
    """Collecting signatures, with its list public while it collects."""
    return make_letter(S.OPEN, signatories_public_while_open=True)


@pytest.fixture
def embargoed_letter(make_letter) -> Letter:
    """Collecting signatures; the list stays private until publication (the default)."""
    return make_letter(S.OPEN)


def pdf_text(content: bytes) -> str:
    """The text of every page, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


@pytest.fixture
def hidden_and_named() -> Callable[[Letter], dict[str, Signature]]:
    """Signatures of every visibility on `letter`, with signers whose emails must never show."""

    def add(letter: Letter) -> dict[str, Signature]:
        return {
            "public": sign_as(
                letter,
                "Tibet Watch",
                signer_name="Pema Dolma",
                signer_title="Director",
                signer_email="pema.secret@tibetwatch.example.net",
                show_signer_name=True,
            ),
            "public_no_name": sign_as(
                letter,
                "Hong Kong Watch",
                based_in="Hong Kong",
                signer_name="Hidden Signer Person",
                signer_email="hidden.signer@hkwatch.example.net",
            ),
            "recipient_only": sign_as(
                letter,
                "Recipient Only Rights Group",
                based_in="Xinjiang Secret Place",
                visibility=V.RECIPIENT_ONLY,
                signer_email="ro.contact@rorg.example.net",
            ),
            "counted_only": sign_as(
                letter,
                "Counted Only Underground Network",
                based_in="Lhasa Hidden Town",
                visibility=V.COUNTED_ONLY,
                signer_email="co.contact@underground.example.net",
            ),
        }

    return add


SECRETS = (
    "Recipient Only Rights Group",
    "Xinjiang Secret Place",
    "Counted Only Underground Network",
    "Lhasa Hidden Town",
    "Hidden Signer Person",
    "pema.secret@tibetwatch.example.net",
    "hidden.signer@hkwatch.example.net",
    "ro.contact@rorg.example.net",
    "co.contact@underground.example.net",
)


def visible_text(response) -> str:
    """The page's text without tags, entities decoded, whitespace collapsed."""
    import html

    text = re.sub(r"<[^>]+>", " ", body_of(response))
    return " ".join(html.unescape(text).split())


@pytest.fixture
def published_with_list(make_letter, owner, hidden_and_named):
    """A published letter signed with every visibility (hidden_and_named) and by names in
    Chinese, Tibetan and Uyghur."""
    from letters import services

    letter = make_letter(S.CLOSED)
    signatures = hidden_and_named(letter)
    for name, place in ((CJK_NAME, "Hong Kong"), (TIBETAN_NAME, "Tibet"), (UYGHUR_NAME, "")):
        sign_as(letter, name, based_in=place)
    services.publish_letter(
        letter=letter, actor=owner, delivered_to="The Secretary of State", method="by hand"
    )
    return Letter.objects.get(pk=letter.pk), signatures
