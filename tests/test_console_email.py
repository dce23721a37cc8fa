import io

from django.core.mail import EmailMultiAlternatives

from outbox.backends import ReadableConsoleBackend


def test_the_console_backend_prints_links_whole_and_text_decoded():
    stream = io.StringIO()
    link = "http://127.0.0.1:8000/letters/signatures/confirm/" + "x" * 90 + "/"
    message = EmailMultiAlternatives(
        subject="Confirm the signature of Free Tibet on “Raise human rights”",
        body=f"Hello Pema,\n\nConfirm: {link}\n",
        from_email="noreply@undersigned.test",
        to=["pema@freetibet.example.org"],
        headers={"Message-ID": "<abc@127.0.0.1>"},
    )
    message.attach_alternative("<p>Hello</p>", "text/html")

    ReadableConsoleBackend(stream=stream, alias="default").send_messages([message])

    printed = stream.getvalue()
    assert link in printed
    assert "Subject: Confirm the signature of Free Tibet on “Raise human rights”" in printed
    assert "To: pema@freetibet.example.org" in printed
    assert "Message-ID: <abc@127.0.0.1>" in printed
    assert "(an HTML version of this email was sent too)" in printed
