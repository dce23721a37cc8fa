"""After delivery: the recipient's response and follow-up updates (issue 17, item 1).

Recorded by a coordinator of a published letter only; shown on the letter page (its cached
pages too, at once); emailed, if chosen, once to every approved signer in their language and
to nobody else; a PDF checked for type, size and active content."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed, TransitionError
from letters import services
from letters.documents import clean_response_pdf
from letters.models import Letter, LetterResponse, Signature
from outbox.models import OutboundEmail
from tests.letters import response_helpers as pdfs
from tests.publication.conftest import SECRETS, sign_as, visible_text

S = Letter.Status
K = LetterResponse.Kind
pytestmark = pytest.mark.django_db


def _record(letter, actor, **kwargs):
    kwargs.setdefault("kind", K.RESPONSE)
    kwargs.setdefault("received_on", timezone.localdate())
    kwargs.setdefault("from_whom", "The Secretary's private office")
    kwargs.setdefault("text", "Thank you for your letter. We will **raise** these cases.")
    return services.record_response(letter=letter, actor=actor, **kwargs)


def _pdf(**kwargs):
    return clean_response_pdf(pdfs.upload(pdfs.pdf_bytes(**kwargs)))


# --- The service: each legal and illegal transition --------------------------------------------


def test_a_coordinator_records_a_response_on_a_published_letter(published_letter, owner):
    before = Letter.objects.get(pk=published_letter.pk).updated_at

    response = _record(published_letter, owner)

    assert response.letter == published_letter
    assert (response.kind, response.from_whom, response.signers_emailed) == (
        K.RESPONSE,
        "The Secretary's private office",
        0,
    )
    assert Letter.objects.get(pk=published_letter.pk).updated_at > before
    event = AuditEvent.objects.get(action=Action.LETTER_RESPONSE_RECORDED)
    assert (event.actor, event.data["response"]) == (owner, response.pk)
    assert OutboundEmail.objects.filter(kind="letter_response").count() == 0


def test_an_editor_records_an_update_without_a_sender(published_letter, editor):
    update = _record(published_letter, editor, kind=K.UPDATE, from_whom="", text="We met them.")
    assert (update.kind, update.from_whom) == (K.UPDATE, "")


def test_a_response_may_be_only_a_pdf(published_letter, owner):
    document, pages = _pdf(pages=3)

    response = _record(published_letter, owner, text="", document=document, document_pages=pages)

    assert response.document.name.startswith("responses/")
    assert response.document.name.endswith(".pdf")
    assert (response.document_pages, response.document_size) == (3, document.size)
    assert default_storage.exists(response.document.name)


@pytest.mark.parametrize("status", [S.DRAFT, S.OPEN, S.CLOSED])
def test_nothing_is_recorded_before_publication(make_letter, owner, status):
    letter = make_letter(status)
    with pytest.raises(TransitionError):
        _record(letter, owner)
    assert not LetterResponse.objects.exists()


def test_only_the_letters_coordinators_record(published_letter, other_coordinator, moderator):
    for actor in (other_coordinator, moderator):
        with pytest.raises(NotAllowed):
            _record(published_letter, actor)
    assert not LetterResponse.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.LETTER_RESPONSE_RECORDED).exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "rumour"},
        {"from_whom": "   "},  # a response says whom it is from
        {"text": "", "document": None},
        {"text": "x" * 20_001},
        {"from_whom": "x" * 301},
        {"received_on": timezone.localdate() + dt.timedelta(days=1)},
        {"received_on": timezone.localdate() - dt.timedelta(days=400)},  # before delivery
    ],
    ids=["kind", "no sender", "empty", "long text", "long sender", "future", "before delivery"],
)
def test_bad_input_is_refused_and_changes_nothing(published_letter, owner, kwargs):
    before = Letter.objects.get(pk=published_letter.pk).updated_at
    with pytest.raises(DomainError):
        _record(published_letter, owner, **kwargs)
    assert not LetterResponse.objects.exists()
    assert Letter.objects.get(pk=published_letter.pk).updated_at == before


def test_a_failure_leaves_no_file_behind(published_letter, owner, monkeypatch):
    document, pages = _pdf()
    saved = []
    real_save = default_storage.save
    monkeypatch.setattr(
        default_storage,
        "save",
        lambda name, *a, **k: saved.append(real_save(name, *a, **k)) or saved[-1],
    )
    with pytest.raises(DomainError):
        # Refused by the checks, which come before the file is stored
        _record(
            published_letter,
            owner,
            received_on=timezone.localdate() + dt.timedelta(days=1),
            document=document,
            document_pages=pages,
        )
    assert saved == []  # refused before anything was stored

    from letters import emails

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(emails, "letter_response", broken)
    with pytest.raises(RuntimeError):
        _record(
            published_letter, owner, document=document, document_pages=pages, email_signers=True
        )
    assert len(saved) == 1
    assert not default_storage.exists(saved[0])
    assert not LetterResponse.objects.exists()


def test_deleting_a_response(published_letter, owner):
    document, pages = _pdf()
    response = _record(published_letter, owner, document=document, document_pages=pages)
    name = response.document.name
    before = Letter.objects.get(pk=published_letter.pk).updated_at

    services.delete_response(response=response, actor=owner)

    assert not LetterResponse.objects.exists()
    assert Letter.objects.get(pk=published_letter.pk).updated_at > before
    assert AuditEvent.objects.get(action=Action.LETTER_RESPONSE_DELETED).data["response"] == (
        response.pk
    )
    assert name  # the file goes once the deletion commits (tests/publication, transactional)


def test_only_coordinators_delete(published_letter, owner, other_coordinator):
    response = _record(published_letter, owner)
    with pytest.raises(NotAllowed):
        services.delete_response(response=response, actor=other_coordinator)
    assert LetterResponse.objects.filter(pk=response.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_file_of_a_deleted_response_is_deleted(published_letter, owner):
    document, pages = _pdf()
    response = _record(published_letter, owner, document=document, document_pages=pages)
    assert default_storage.exists(response.document.name)

    services.delete_response(response=response, actor=owner)

    assert not default_storage.exists(response.document.name)


# --- Who is emailed -----------------------------------------------------------------------------


def test_every_approved_signer_is_emailed_once_and_nobody_else(published_with_list, owner):
    letter, signatures = published_with_list
    withdrawn = signatures["public_no_name"]
    services.withdraw_signature(signature=withdrawn)
    pending = sign_as(letter, "Still Pending Group", status=Signature.Status.PENDING_REVIEW)
    rejected = sign_as(letter, "Rejected Group", status=Signature.Status.REJECTED)
    approved = list(Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED))

    response = _record(letter, owner, email_signers=True)

    rows = OutboundEmail.objects.filter(kind="letter_response")
    assert response.signers_emailed == len(approved) == rows.count()
    assert sorted(rows.values_list("dedupe_key", flat=True)) == sorted(
        f"signature:{s.pk}:response:{response.pk}" for s in approved
    )
    keys = set(rows.values_list("dedupe_key", flat=True))
    for left_out in (withdrawn, pending, rejected):
        assert f"signature:{left_out.pk}:response:{response.pk}" not in keys


def test_the_email_names_only_the_readers_organisation(
    published_with_list, owner, mailoutbox, django_capture_on_commit_callbacks
):
    letter, signatures = published_with_list
    with django_capture_on_commit_callbacks(execute=True):
        _record(letter, owner, email_signers=True, text="We **met** them.")

    mail = {m.to[0]: m for m in mailoutbox if "Response to" in m.subject}
    public = mail[signatures["public"].signer_email]
    body = public.body + public.alternatives[0][0]
    assert "Tibet Watch" in body
    assert "We **met** them." in public.body
    assert "<strong>met</strong>" in public.alternatives[0][0]
    for secret in SECRETS:
        if "tibetwatch" in secret:
            continue
        assert secret not in body
    hidden = mail[signatures["recipient_only"].signer_email]
    hidden_body = hidden.body + hidden.alternatives[0][0]
    assert "Recipient Only Rights Group" in hidden_body  # its own name, to itself
    assert "Tibet Watch" not in hidden_body


def test_each_signer_reads_it_in_their_language(
    published_with_list, owner, mailoutbox, django_capture_on_commit_callbacks
):
    letter, signatures = published_with_list
    Signature.objects.filter(pk=signatures["public"].pk).update(language="ug")
    Signature.objects.filter(pk=signatures["recipient_only"].pk).update(language="zh-hans")

    with django_capture_on_commit_callbacks(execute=True):
        _record(letter, owner, email_signers=True)

    by_address = {m.to[0]: m for m in mailoutbox}
    uyghur = by_address[signatures["public"].signer_email]
    chinese = by_address[signatures["recipient_only"].signer_email]
    english = by_address[signatures["counted_only"].signer_email]
    assert english.subject == f"Response to “{letter.title}”"
    assert uyghur.subject != english.subject
    assert "Response to" not in uyghur.subject
    assert "Response to" not in chinese.subject
    assert 'dir="rtl"' in uyghur.alternatives[0][0]


def test_an_update_has_its_own_subject(
    published_letter, owner, mailoutbox, django_capture_on_commit_callbacks
):
    sign_as(published_letter, "Tibet Watch")
    with django_capture_on_commit_callbacks(execute=True):
        _record(published_letter, owner, kind=K.UPDATE, from_whom="", email_signers=True)
    [message] = mailoutbox
    assert message.subject == f"Update on “{published_letter.title}”"


# --- The PDF check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tweak",
    [
        pdfs.with_javascript,
        pdfs.with_open_action_launch,
        pdfs.with_embedded_file,
        pdfs.with_annotation_javascript,
        pdfs.with_submit_form,
    ],
)
def test_active_content_is_refused(tweak):
    with pytest.raises(ValidationError, match="active content"):
        clean_response_pdf(pdfs.upload(pdfs.pdf_bytes(tweak=tweak)))


def test_names_hidden_by_escapes_are_seen():
    with pytest.raises(ValidationError, match="active content"):
        clean_response_pdf(pdfs.upload(pdfs.escaped_javascript_name()))


def test_a_web_link_is_not_active_content():
    _, pages = clean_response_pdf(pdfs.upload(pdfs.pdf_bytes(tweak=pdfs.with_uri_link)))
    assert pages == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "not a PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "not a PDF"),
        (pdfs.pdf_bytes(2)[:300], "damaged"),
        (pdfs.pdf_bytes(password="secret"), "password"),
    ],
    ids=["html", "png", "truncated", "encrypted"],
)
def test_what_is_not_a_readable_pdf_is_refused(data, message):
    with pytest.raises(ValidationError, match=message):
        clean_response_pdf(pdfs.upload(data))


def test_size_and_page_limits(settings):
    settings.RESPONSE_PDF_MAX_PAGES = 2
    with pytest.raises(ValidationError, match="too many pages"):
        clean_response_pdf(pdfs.upload(pdfs.pdf_bytes(3)))
    data = pdfs.pdf_bytes(1)
    settings.RESPONSE_PDF_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError, match="too large"):
        clean_response_pdf(pdfs.upload(data))


def test_the_stored_name_is_the_servers():
    document, _ = clean_response_pdf(pdfs.upload(pdfs.pdf_bytes(), name="../../etc/passwd.pdf"))
    assert "passwd" not in document.name
    assert "/" not in document.name


# --- The pages ----------------------------------------------------------------------------------


def _form(**overrides):
    data = {
        "kind": K.RESPONSE,
        "received_on": timezone.localdate().isoformat(),
        "from_whom": "The Secretary's private office",
        "text": "We will raise these cases.",
    }
    return data | overrides


def test_the_coordinator_records_through_the_page(client, published_letter, owner):
    sign_as(published_letter, "Tibet Watch")
    client.force_login(owner)
    url = reverse("letters:responses", args=[published_letter.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert "1 organisation that signed will be told" in visible_text(page)

    with open_pdf() as document:
        answer = client.post(url, _form(document=document, email_signers="on"))

    assert answer.status_code == 302
    assert answer["Location"] == published_letter.get_absolute_url() + "#responses"
    response = LetterResponse.objects.get()
    assert (response.signers_emailed, response.document_pages) == (1, 2)
    letter_page = client.get(answer["Location"], follow=True)
    text = visible_text(letter_page)
    assert "Recorded, and 1 signers are being emailed." in text
    assert "Response from The Secretary's private office" in text
    assert "Read the response (PDF, 2 pages" in text

    download = client.get(
        reverse("letters:response-document", args=[published_letter.slug, response.pk])
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Security-Policy"] == "sandbox"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


class open_pdf:  # noqa: N801 - a context manager used like open()
    def __init__(self, tweak=None):
        self.data = pdfs.pdf_bytes(2, tweak=tweak)

    def __enter__(self):
        return pdfs.upload(self.data)

    def __exit__(self, *exc):
        return False


def test_a_bad_pdf_gets_a_clear_message_and_changes_nothing(client, published_letter, owner):
    client.force_login(owner)
    url = reverse("letters:responses", args=[published_letter.slug])
    with open_pdf(tweak=pdfs.with_javascript) as document:
        page = client.post(url, _form(document=document))
    assert page.status_code == 200
    assert "contains active content" in visible_text(page)
    assert not LetterResponse.objects.exists()

    empty = client.post(url, _form(text=""))
    assert "Give the text of the response, or upload it as a PDF." in visible_text(empty)
    assert not LetterResponse.objects.exists()


def test_the_page_before_publication_explains_and_refuses(client, make_letter, owner):
    letter = make_letter(S.OPEN)
    client.force_login(owner)
    url = reverse("letters:responses", args=[letter.slug])
    assert "nothing can be recorded yet" in visible_text(client.get(url))
    client.post(url, _form())
    assert not LetterResponse.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "other_coordinator", "moderator", "signer"])
def test_others_cannot_post_or_delete(client, published_letter, owner, who, request):
    response = _record(published_letter, owner)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    record = client.post(reverse("letters:responses", args=[published_letter.slug]), _form())
    delete = client.post(
        reverse("letters:response-delete", args=[published_letter.slug, response.pk])
    )
    expected = 302 if who == "anonymous" else 404
    assert (record.status_code, delete.status_code) == (expected, expected)
    assert LetterResponse.objects.count() == 1


def test_delete_asks_first(client, published_letter, owner):
    response = _record(published_letter, owner)
    client.force_login(owner)
    url = reverse("letters:response-delete", args=[published_letter.slug, response.pk])
    page = client.get(url)
    assert "Emails already sent to the signers cannot be taken back." in visible_text(page)
    assert LetterResponse.objects.count() == 1
    assert client.post(url).status_code == 302
    assert not LetterResponse.objects.exists()


def test_a_visitor_sees_a_new_response_at_once(client, published_with_list, owner):
    letter, _ = published_with_list
    first = client.get(letter.get_absolute_url())  # now kept for visitors
    assert "Responses and updates" not in visible_text(first)

    _record(letter, owner, text="The minister replied.")

    second = client.get(letter.get_absolute_url())
    text = visible_text(second)
    assert "Response from The Secretary's private office" in text
    assert "The minister replied." in text
    for secret in SECRETS:
        assert secret not in text


def test_response_text_is_sanitised(client, published_letter, owner):
    _record(
        published_letter,
        owner,
        text="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
    )
    body = client.get(published_letter.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body
    assert 'href="javascript' not in body
    assert "<img src=x" not in body


def test_the_letter_page_reads_its_responses_in_one_query(client, published_letter, owner):
    client.force_login(owner)
    url = published_letter.get_absolute_url()
    _record(published_letter, owner)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(5):
        _record(published_letter, owner, text=f"Update {n}", kind=K.UPDATE)
    client.get(url)
    with CaptureQueriesContext(connection) as six:
        client.get(url)
    assert len(six) == len(one)


def test_a_double_submission_records_and_emails_once(published_letter, owner):
    """Two clicks on Record (or a resubmitted form) do not email every signer twice."""
    sign_as(published_letter, "Tibet Watch")
    first = _record(published_letter, owner, email_signers=True)

    with pytest.raises(DomainError, match="already been recorded"):
        _record(published_letter, owner, email_signers=True)

    assert list(LetterResponse.objects.all()) == [first]
    assert OutboundEmail.objects.filter(kind="letter_response").count() == 1
    # A different text on the same day is a new update
    _record(published_letter, owner, kind=K.UPDATE, from_whom="", text="We met them today.")
    assert LetterResponse.objects.count() == 2
