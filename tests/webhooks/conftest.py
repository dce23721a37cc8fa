"""Letters and coordinators (the letters tests' fixtures), a receiver started by the test, and
the settings that let webhooks reach it: plain HTTP to loopback (WEBHOOKS_ALLOW_LOOPBACK,
tests only), short timeouts and retries."""

import pytest

from tests.letters.conftest import (  # noqa: F401 - fixtures
    closed_letter,
    draft_letter,
    editor,
    make_letter,
    open_letter,
    other_coordinator,
    owner,
    published_letter,
)
from tests.webhooks.receiver import Receiver


@pytest.fixture
def fast_webhooks(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 1
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 2
    settings.WEBHOOKS_READ_TIMEOUT = 0.5
    settings.WEBHOOKS_CONNECT_TIMEOUT = 0.5
    return settings


@pytest.fixture
def receiver(fast_webhooks):
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()
