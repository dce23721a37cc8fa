"""An invitation in Tibetan and one in Uyghur, end to end (issue 14, "Done when"): invited
through the service, handed to a real Celery worker (its own process) on a Redis of the test's
own, sent to a real SMTP server, and read there as the invitee reads it: the subject and body
in their language, Content-Language saying so, the HTML part right to left for Uyghur, and
the sign link opening the page in that language."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from tests.conftest import wait_for
from tests.emails import html_body, subject_of, text_body
from tests.faults.conftest import reset_producers

pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Release the detained publishers"

# Each reader's address, their language, and the direction its HTML part must declare.
READERS = {
    "bo": ("tsering@tibet.example.org", "ltr"),
    "ug": ("aysha@udyn.example.org", "rtl"),
}
# Sentences of templates/email/invitation_subject.txt, _message.txt and _message.html.
SUBJECT = "Invitation to sign “%(title)s”"
IN_TEXT = "Read the letter and sign on behalf of your organisation (about a minute):"
IN_HTML = "Read and sign"
IN_BOTH = "These links are personal: please do not forward this email."


@pytest.fixture
def publish_to(stack):
    """The test process publishes to the stack's broker, as the web process does."""
    from config.celery import app
    from core import cache as core_cache

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=stack.redis.url)
    reset_producers(app)
    core_cache.breaker.reset()
    yield
    app.conf.update(saved)
    reset_producers(app)
    core_cache.breaker.reset()


@pytest.fixture
def open_letter(coordinator):
    from letters import services

    letter = services.create_letter(
        author=coordinator,
        title=TITLE,
        body="We, the undersigned organisations, call for their release.",
        recipient="The Secretary for Security",
        summary="A call for release.",
        deadline=timezone.now() + dt.timedelta(days=14),
        sign_on_mode="open",
    )
    return services.open_letter(letter=letter, actor=coordinator)


def translated(language: str, message: str) -> str:
    """`message` in `language`; refuses an untranslated one, which would let English pass."""
    with translation.override(language):
        text = gettext(message)
    assert text != message, f"{message!r} has no {language} translation"
    return text


def test_invitations_in_tibetan_and_uyghur_arrive_in_their_language(
    stack, publish_to, open_letter, coordinator
):
    from letters import services
    from letters.models import Invitation

    # Given a worker (its own process) and beat on the test's Redis, sending to the SMTP sink
    stack.worker()
    stack.beat()

    # When the coordinator invites one contact in Tibetan and one in Uyghur
    for language, (address, _direction) in READERS.items():
        services.invite(
            letter=open_letter,
            actor=coordinator,
            email=address,
            organisation_name=f"Organisation {language}",
            contact_name=f"Contact {language}",
            language=language,
        )

    # Then each arrives once, through the worker and the SMTP server
    wait_for(
        lambda: all(stack.smtp.to(address) for address, _ in READERS.values()),
        timeout=60,
        interval=0.2,
        message="the invitations did not arrive",
    )
    wait_for(
        lambda: set(Invitation.objects.values_list("status", flat=True)) == {"sent"},
        timeout=30,
        interval=0.2,
        message="the invitations were not marked sent",
    )
    assert len(stack.smtp.messages) == 2
    for language, (address, direction) in READERS.items():
        [message] = stack.smtp.to(address)
        text, html = text_body(message), html_body(message)
        # ...saying which language it is in,
        assert message["Content-Language"] == language
        # ...its subject, text and HTML parts in that language, not in English,
        assert subject_of(message) == translated(language, SUBJECT) % {"title": TITLE}
        assert translated(language, IN_TEXT) in text
        assert translated(language, IN_BOTH) in text
        assert translated(language, IN_HTML) in html
        assert translated(language, IN_BOTH) in html
        assert IN_TEXT not in text
        assert IN_HTML not in html
        # ...the HTML page declaring the language and its direction,
        assert re.search(rf'<html lang="{language}" dir="{direction}">', html), html[:300]
        # ...and every link of the invitation opening its page in that language.
        base = re.escape(settings.SITE_URL)
        links = re.findall(rf"{base}/letters/invitations/[^\s\"<>]+", text)
        assert len(links) == 3, links
        [sign_link] = [link for link in links if re.fullmatch(r".*/invitations/[^/]+/\?.*", link)]
        assert sign_link.endswith(f"/?lang={language}"), sign_link
        assert all(link.endswith(f"?lang={language}") for link in links), links
        assert f'href="{sign_link}"' in html
