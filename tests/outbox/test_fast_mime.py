"""outbox.backends.fast_bytes: the outbox's emails serialised without Django's message(), and
the same email as a reader's mail program sees it — every header, every part — for the shapes
the outbox sends, in every script the signers read; anything else goes through Django."""

import email
import email.policy
import smtplib
from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives

from outbox import services
from outbox.backends import SmtpBackend, fast_bytes
from outbox.models import OutboundEmail
from tests.outbox.test_outbox import _queue

SUBJECTS = [
    "You are invited to sign: Raise human rights in Beijing",
    "邀请您联署：在北京提出人权问题",
    "ཁྱེད་རང་མིང་རྟགས་འགོད་པར་མགྲོན་འབོད་ཞུ། " * 3,  # long: folded as encoded words
    "ئىمزا قويۇشقا تەكلىپ: بېيجىڭدا كىشىلىك ھوقۇق",
    "A very long subject line in plain English that goes on and on well past the seventy "
    "eight characters a header line should hold, so that it has to be folded",
]
BODIES = [
    "Dear Pema,\n\nSign here: https://undersigned.example.org/i/abcdefghijklmnopqrstuvwxyz0123456789"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ/\n\n-- \nUndersigned\n",
    "尊敬的卓玛：\n\n请在此联署：https://undersigned.example.org/i/x/\n" * 20,
    "བཀྲ་ཤིས་བདེ་ལེགས། " * 200,
    "A line with a lone dot follows\n.\nand a line starting with From the sender\nFrom here\n",
    "Trailing spaces   \nand tabs\t\nand =3D equals signs = done",
]


def _message(subject, body, html=None, **overrides):
    kwargs = {
        "subject": subject,
        "body": body,
        "from_email": "Undersigned <noreply@undersigned.example.org>",
        "to": ["pema@ngo.example.org"],
        "reply_to": ["contact@lead.example.org"],
        "headers": {
            "Message-ID": "<invitation.1234@undersigned.example.org>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": "bo",
        },
    }
    kwargs.update(overrides)
    message = EmailMultiAlternatives(**kwargs)
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def _read(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _as_read(message):
    """What a mail program shows: the decoded headers and the decoded parts."""
    headers = {
        name: str(value)
        for name, value in message.items()
        if name not in {"Date", "Content-Type", "Content-Transfer-Encoding"}
    }
    parts = [
        (part.get_content_type(), part.get_content_charset(), part.get_content())
        for part in message.walk()
        if not part.is_multipart()
    ]
    return headers, message.get_content_type(), parts


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("body", BODIES)
def test_the_fast_bytes_read_as_django_s_message_does(subject, body):
    message = _message(subject, body, html=f"<p>{body}</p>")
    fast = fast_bytes(message)
    django = message.message(policy=email.policy.SMTP).as_bytes()

    assert fast is not None
    assert _as_read(_read(fast)) == _as_read(_read(django))
    assert _read(fast)["Date"].datetime is not None
    lines = fast.split(b"\r\n")
    assert b"\n" not in fast.replace(b"\r\n", b""), "bare line feeds"
    assert max(len(line) for line in lines) <= 998, "RFC 5322's hard line limit"
    assert fast.isascii(), "7-bit: no SMTPUTF8 or 8BITMIME needed"


def test_a_text_only_email_and_one_without_reply_to_read_alike():
    for message in (
        _message(SUBJECTS[1], BODIES[1]),
        _message(SUBJECTS[0], BODIES[0], html="<p>x</p>", reply_to=[]),
        _message(SUBJECTS[0], BODIES[0], from_email="联署 <noreply@undersigned.example.org>"),
    ):
        fast = fast_bytes(message)
        assert fast is not None
        assert _as_read(_read(fast)) == _as_read(
            _read(message.message(policy=email.policy.SMTP).as_bytes())
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hello\nBcc: everyone@example.org"},  # a header injection
        {"to": ["a@example.org", "b@example.org"]},
        {"to": ["pema@例え.jp"]},  # an IDN domain: Django encodes it
        {"cc": ["c@example.org"]},
        {"headers": {"Message-ID": "<x@y>", "X-Other": "1"}},
        {"headers": {}},  # no Message-ID: Django makes one
    ],
)
def test_any_other_shape_is_left_to_django(overrides):
    overrides = dict(overrides)
    subject = overrides.pop("subject", SUBJECTS[0])
    assert fast_bytes(_message(subject, BODIES[0], **overrides)) is None


def test_an_attachment_or_a_plain_email_message_is_left_to_django():
    message = _message(SUBJECTS[0], BODIES[0])
    message.attach("file.txt", "content", "text/plain")
    assert fast_bytes(message) is None


@pytest.mark.django_db
def test_a_header_injection_is_still_refused_by_django_and_fails_the_row(smtp_server):
    email_row = services.queue_email(
        kind="signature_withdrawn",
        to="signer@ngo.example.org",
        context={
            "signature": {"signer_name": "Pema"},
            "organisation_name": "Tibetan Women's Association",
            "letter": {"title": "Raise\nBcc: everyone@example.org"},
            "letter_url": "https://undersigned.example.org/letters/x/",
        },
        dedupe_key="injection:1",
    )
    services.deliver(email_id=email_row.pk)
    for received in smtp_server.messages:
        assert "everyone@example.org" not in str(received.get("Bcc", ""))
        assert received.get("Bcc") is None


def test_the_backend_sends_the_fast_bytes_to_the_server(smtp_server):
    backend = mail.mailers.default
    assert isinstance(backend, SmtpBackend)
    message = _message(SUBJECTS[2], BODIES[2], html="<p>བཀྲ་ཤིས།</p>")
    assert backend.send_messages([message]) == 1
    (received,) = smtp_server.messages
    assert str(make_header(decode_header(received["Subject"]))) == SUBJECTS[2]
    assert received["Message-ID"] == "<invitation.1234@undersigned.example.org>"
    plain, html = (part.get_payload(decode=True).decode() for part in received.get_payload())
    assert plain == BODIES[2] + "\r\n"  # a last line ending, as Django's message() adds
    assert html == "<p>བཀྲ་ཤིས།</p>\r\n"


def test_a_refusal_raises_as_with_django_s_backend(smtp_server):
    backend = mail.mailers.default
    assert isinstance(backend, SmtpBackend)
    smtp_server.replies = ["550 5.1.1 No such user here"]
    with pytest.raises(smtplib.SMTPDataError):
        backend.send_messages([_message(SUBJECTS[0], BODIES[0])])


def test_a_plain_email_message_goes_through_django(smtp_server):
    backend = mail.mailers.default
    assert isinstance(backend, SmtpBackend)
    message = EmailMessage("Hi", "Body", "noreply@example.org", ["x@example.org"])
    assert backend.send_messages([message]) == 1
    assert smtp_server.messages[0]["Subject"] == "Hi"


@pytest.mark.django_db
def test_a_chunk_marks_its_rows_as_one_row_at_a_time_would(smtp_server):
    """deliver_many reads its chunk at once and marks rows with compiled SQL: the rows end as
    deliver() leaves them, column by column."""
    rows = [_queue(f"chunk:{n}", f"reader{n}@ngo.example.org") for n in range(4)]
    services.deliver(email_id=rows[0].pk)
    outcomes = services.deliver_many([row.pk for row in rows[1:]] + [rows[0].pk, 999999])
    assert [outcome.status for outcome in outcomes.values()] == ["sent"] * 3 + ["skipped"] * 2
    columns = ["status", "attempts", "last_error", "link_secrets", "next_attempt_at"]
    marked = OutboundEmail.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")
    assert {tuple(getattr(row, column) for column in columns) for row in marked} == {
        ("sent", 1, "", "", None)
    }
    assert all(row.sent_at and row.updated_at >= row.sent_at for row in marked)
    assert len(smtp_server.messages) == 4
