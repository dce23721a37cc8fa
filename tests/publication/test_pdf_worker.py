"""The PDF is rendered by the worker, never in a request (issue 13): a request serves the stored
PDF of the letter as it is now, or answers "being prepared" (503, Retry-After) and asks the
worker for it once; a list change or the publication asks for it after commit; the key
follows the list, the templates and the fonts; a dead broker fails nothing."""

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from kombu.exceptions import OperationalError

from letters import dispatch, exports, services
from letters.models import Letter
from letters.selectors import PUBLIC_EDITION, RECIPIENT_EDITION
from letters.tasks import render_letter_pdf
from tests.conftest import wait_for
from tests.factories import make_moderator

from .conftest import pdf_text, sign_as

pytestmark = pytest.mark.django_db

S = Letter.Status
EN = settings.LANGUAGE_CODE


class Queue:
    """Stands for letters.render_letter_pdf in letters.dispatch: records what was enqueued
    (as a real worker would receive it), runs nothing; `fail` makes it a dead broker."""

    name = "letters.render_letter_pdf"

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[tuple, int | None]] = []
        self.fail = fail
        # core.broker.publish reads the app's configuration: a broker, not in-process tasks.
        self.app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False))

    def apply_async(self, args, countdown=None, retry=True):
        if self.fail:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.calls.append((tuple(args), countdown))

    def run_all(self) -> None:
        """The worker's turn: the task, as it would run there."""
        calls, self.calls = self.calls, []
        for args, _countdown in calls:
            render_letter_pdf(*args)


@pytest.fixture
def queue(monkeypatch) -> Queue:
    queue = Queue()
    monkeypatch.setattr(dispatch, "render_letter_pdf", queue)
    return queue


@pytest.fixture
def no_rendering_here(monkeypatch):
    """WeasyPrint must not run in this code path (a request's)."""

    def refuse(*args, **kwargs):
        pytest.fail("a request rendered the PDF")

    monkeypatch.setattr(exports, "render_pdf", refuse)
    return monkeypatch


def _url(letter: Letter, edition: str = PUBLIC_EDITION) -> str:
    name = "letters:pdf" if edition == PUBLIC_EDITION else "letters:pdf-recipient"
    return reverse(name, args=[letter.slug])


def _assert_being_prepared(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "The PDF is being prepared" in content
    assert '<meta http-equiv="refresh" content="5">' in content


# --- A request never renders -----------------------------------------------------------------


def test_a_missing_pdf_is_being_prepared_and_asked_for_once(
    client, queue, no_rendering_here, public_open_letter
):
    sign_as(public_open_letter, "First Signatory")

    first = client.get(_url(public_open_letter))
    again = client.get(_url(public_open_letter))

    _assert_being_prepared(first)
    _assert_being_prepared(again)
    # One rendering asked for, not one per visitor: the pending mark holds the others.
    assert queue.calls == [((public_open_letter.pk, PUBLIC_EDITION, EN), None)]


def test_once_the_worker_rendered_it_the_request_serves_it(
    client, queue, monkeypatch, public_open_letter
):
    sign_as(public_open_letter, "First Signatory")
    _assert_being_prepared(client.get(_url(public_open_letter)))
    queue.run_all()  # the worker renders (WeasyPrint runs here, outside any request)

    monkeypatch.setattr(exports, "render_pdf", lambda *a: pytest.fail("rendered in a request"))
    response = client.get(_url(public_open_letter))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "First Signatory" in pdf_text(response.content)
    assert queue.calls == []


def test_the_task_renders_once_for_a_key(monkeypatch, public_open_letter):
    assert render_letter_pdf(public_open_letter.pk, PUBLIC_EDITION, EN) is True
    monkeypatch.setattr(exports, "render_pdf", lambda *a: pytest.fail("rendered again"))

    assert render_letter_pdf(public_open_letter.pk, PUBLIC_EDITION, EN) is False
    assert render_letter_pdf(0, PUBLIC_EDITION, EN) is False  # a letter deleted since


def test_the_pending_mark_expires_so_a_dead_worker_does_not_block_it_for_ever(
    client, queue, monkeypatch, public_open_letter
):
    from django.core.cache import cache

    client.get(_url(public_open_letter))
    assert len(queue.calls) == 1  # the worker that took it died: it never renders
    cache.delete(exports._pending(public_open_letter.pk, PUBLIC_EDITION, EN))  # expired

    _assert_being_prepared(client.get(_url(public_open_letter)))

    assert len(queue.calls) == 2
    assert 0 < exports.PDF_RENDER_PENDING_SECONDS <= 300


def test_in_the_embedded_default_the_first_request_gets_the_pdf(client, public_open_letter):
    # Tasks run in-process (CELERY_TASK_ALWAYS_EAGER, as in these tests by default): asking
    # for the PDF rendered it, and the same request serves it.
    sign_as(public_open_letter, "First Signatory")

    response = client.get(_url(public_open_letter))

    assert response.status_code == 200
    assert "First Signatory" in pdf_text(response.content)


# --- A dead broker fails nothing ------------------------------------------------------------------


def test_a_dead_broker_does_not_fail_the_request(
    client, monkeypatch, no_rendering_here, public_open_letter
):
    monkeypatch.setattr(dispatch, "render_letter_pdf", Queue(fail=True))

    _assert_being_prepared(client.get(_url(public_open_letter)))


def test_a_dead_broker_does_not_fail_a_list_change(
    monkeypatch, django_capture_on_commit_callbacks, public_open_letter
):
    render_letter_pdf(public_open_letter.pk, PUBLIC_EDITION, EN)  # someone asked for it
    monkeypatch.setattr(dispatch, "render_letter_pdf", Queue(fail=True))
    signature = sign_as(public_open_letter, "Second Signatory", status="pending_review")

    with django_capture_on_commit_callbacks(execute=True):
        services.decide_signatures(
            signature_ids=[signature.pk], moderator=make_moderator(), approve=True
        )

    signature.refresh_from_db()
    assert signature.status == "approved"


# --- What asks for a rendering, and the key ------------------------------------------------------


def test_a_list_change_changes_the_key_and_asks_for_the_pdfs_someone_asked_for(
    client, queue, django_capture_on_commit_callbacks, public_open_letter
):
    sign_as(public_open_letter, "First Signatory")
    client.get(_url(public_open_letter))
    queue.run_all()
    before = exports.pdf_key(Letter.objects.get(pk=public_open_letter.pk), PUBLIC_EDITION, EN)
    signature = sign_as(public_open_letter, "Second Signatory", status="pending_review")

    with django_capture_on_commit_callbacks(execute=True):
        services.decide_signatures(
            signature_ids=[signature.pk], moderator=make_moderator(), approve=True
        )

    letter = Letter.objects.get(pk=public_open_letter.pk)
    assert exports.pdf_key(letter, PUBLIC_EDITION, EN) != before
    # Asked for once the approval committed, a little later (a burst renders once); only the
    # edition someone has asked for (nobody asked for the recipient edition).
    assert queue.calls == [
        ((letter.pk, PUBLIC_EDITION, EN), exports.PDF_REFRESH_DELAY_SECONDS),
    ]
    # Until the worker has rendered it, the old list is never served.
    _assert_being_prepared(client.get(_url(letter)))
    queue.run_all()
    assert "Second Signatory" in pdf_text(client.get(_url(letter)).content)


def test_publication_asks_for_the_public_edition(
    queue, django_capture_on_commit_callbacks, owner, make_letter
):
    letter = make_letter(S.CLOSED)
    sign_as(letter, "First Signatory")

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_letter(letter=letter, actor=owner)

    assert ((letter.pk, PUBLIC_EDITION, EN), exports.PDF_REFRESH_DELAY_SECONDS) in queue.calls
    assert all(args[1] == PUBLIC_EDITION for args, _countdown in queue.calls)
    queue.run_all()
    assert exports.stored_pdf(Letter.objects.get(pk=letter.pk), PUBLIC_EDITION, EN) is not None


def test_the_fonts_are_in_the_key_so_a_pdf_without_them_is_not_served_after(
    monkeypatch, public_open_letter
):
    monkeypatch.setattr(exports, "_fonts_fingerprint", lambda: "no-tibetan-font")
    render_letter_pdf(public_open_letter.pk, PUBLIC_EDITION, EN)
    assert exports.stored_pdf(public_open_letter, PUBLIC_EDITION, EN) is not None
    before = exports.pdf_key(public_open_letter, PUBLIC_EDITION, EN)

    monkeypatch.setattr(exports, "_fonts_fingerprint", lambda: "with-tibetan-font")

    assert exports.pdf_key(public_open_letter, PUBLIC_EDITION, EN) != before
    assert exports.stored_pdf(public_open_letter, PUBLIC_EDITION, EN) is None


def test_the_templates_are_in_the_key(monkeypatch, public_open_letter):
    before = exports.pdf_key(public_open_letter, PUBLIC_EDITION, EN)
    monkeypatch.setattr(exports, "_templates_fingerprint", lambda: "changed")

    assert exports.pdf_key(public_open_letter, PUBLIC_EDITION, EN) != before


def test_the_fonts_fingerprint_is_letters_pdf_fonts(monkeypatch):
    from letters import pdf_fonts

    monkeypatch.setattr(pdf_fonts, "fingerprint", lambda: "fonts-v2")
    assert exports._fonts_fingerprint.__wrapped__() == "fonts-v2"


# --- Who gets which edition ----------------------------------------------------------------------


def test_the_recipient_edition_stays_for_coordinators_while_prepared_and_after(
    client, queue, owner, signer, make_letter, hidden_and_named
):
    letter = make_letter(S.CLOSED)
    hidden_and_named(letter)
    url = _url(letter, RECIPIENT_EDITION)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(signer)
    assert client.get(url).status_code == 404
    assert queue.calls == []

    client.force_login(owner)
    prepared = client.get(url)
    _assert_being_prepared(prepared)
    assert prepared["Cache-Control"] == "private, no-store"
    queue.run_all()

    served = client.get(url)
    assert "Recipient Only Rights Group" in pdf_text(served.content)
    assert served["Cache-Control"] == "private, no-store"
    client.force_login(signer)
    assert client.get(url).status_code == 404
    # The public edition has a slot of its own: the recipient's PDF is never served for it.
    client.logout()
    public = client.get(_url(letter))
    _assert_being_prepared(public)
    assert "Recipient Only Rights Group" not in public.content.decode()


# --- With a real worker ----------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_published_letters_pdf_appears_without_a_request_rendering_it(
    client, celery_worker, monkeypatch, owner, make_letter
):
    monkeypatch.setattr(exports, "PDF_REFRESH_DELAY_SECONDS", 0)
    letter = make_letter(S.CLOSED)
    sign_as(letter, "First Signatory")

    services.publish_letter(letter=letter, actor=owner)  # commits: the worker is asked

    letter = Letter.objects.get(pk=letter.pk)
    pdf = wait_for(
        lambda: exports.stored_pdf(letter, PUBLIC_EDITION, EN), message="the rendered PDF"
    )
    assert "First Signatory" in pdf_text(pdf)
    # No request rendered it: the first one is served the worker's PDF.
    monkeypatch.setattr(exports, "render_pdf", lambda *a: pytest.fail("rendered in a request"))
    response = client.get(_url(letter))
    assert response.status_code == 200
    assert response.content == pdf
