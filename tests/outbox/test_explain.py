"""Coordinators read what went wrong in words; the raw error stays for admins (issue 13)."""

import pytest

from outbox.explain import explain_delivery_error, reply_code

REFUSED = (
    "SMTPRecipientsRefused: {'x@example.org': (550, b'5.1.1 <x@example.org>: "
    "Recipient address rejected: User unknown')}"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (REFUSED, "The address was refused by the recipient's mail server (550)."),
        ("SMTPRecipientsRefused: {'x@y.org': (450, b'4.2.0 Greylisted')}", "try again later (450)"),
        ("SMTPSenderRefused: (553, b'5.7.1 Sender not allowed', 'a@b')", "Our mail server"),
        ("SMTPAuthenticationError: (535, b'5.7.8 bad credentials')", "(535)"),
        ("SMTPDataError: (550, b'5.1.1 No such user')", "refused by a mail server (550)"),
        ("SMTPResponseException: (451, b'4.7.1 Greylisted, try again later')", "(451)"),
        ("ConnectionRefusedError: [Errno 111] Connection refused", "could not be reached"),
        ("MissingLinkSecrets: its link secrets were erased", "send the invitation anew"),
        ("ValueError: Invalid address", "cannot be used for email"),
    ],
)
def test_every_kind_of_error_reads_as_a_sentence(raw, expected):
    text = explain_delivery_error(raw)
    assert expected in text
    assert "SMTP" not in text
    assert "b'" not in text


def test_no_error_is_no_sentence():
    assert explain_delivery_error("") == ""


def test_the_reply_code_is_found_where_the_exception_puts_it():
    assert reply_code(REFUSED) == 550
    assert reply_code("SMTPDataError: (554, b'no')") == 554
    assert reply_code("OSError: timed out") is None
