"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Browsers cannot be downloaded here, so Playwright launches the system chromium (installed by
`.ci/run` with apt). Without it the tests skip with a reason; with REQUIRE_SERVICES=1 they
fail instead. A failing test leaves a screenshot in /tmp/shots-e2e/; `keep_screenshot` keeps
one as an artifact of the run, in var/artifacts/screenshots/ (E2E_ARTIFACTS_DIR overrides
var/artifacts/), where CI finds it in the clone it ran in. Chromium is given the Noto fonts of
var/fonts/ (`make install`), so screenshots in Chinese, Tibetan and Uyghur show their glyphs.
"""

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.conftest import skip_or_fail

# Playwright's sync API runs an event loop in the test's thread; Django refuses database
# access from a thread with a running loop unless told it is safe (it is: the loop only
# talks to the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR") or Path(tempfile.gettempdir()) / "shots-e2e")
TIMEOUT_MS = 10_000
ROOT = Path(__file__).resolve().parents[2]
# The Noto fonts the project fetches for its PDFs (scripts/fetch_fonts.py): Chinese in both
# scripts, Tibetan and Uyghur's Arabic script, which a bare chromium has no system font for.
FONTS = ROOT / "var" / "fonts"
SYSTEM_FONTCONFIG = Path("/etc/fonts/fonts.conf")


def keep_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of `page` as an artifact of the run:
    <E2E_ARTIFACTS_DIR, else var/artifacts>/screenshots/<name>.png. Returns its path."""
    artifacts = Path(os.environ.get("E2E_ARTIFACTS_DIR") or ROOT / "var" / "artifacts")
    directory = artifacts / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in_with_code(page, email: str, password: str, code: str, start: str = "/accounts/login/"):
    """Log in through the site's form (from `start`: a page that asks for it, such as /admin/),
    then give the authenticator's code."""
    page.goto(start)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure at teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _fontconfig(directory: Path) -> dict[str, str]:
    """The environment that makes chromium find var/fonts/ besides the system's fonts: a
    fonts.conf that includes the system one and adds the folder, with a cache of its own (a
    test run writes nothing outside the tmp folder). Without var/fonts/, chromium's own
    environment: the screenshots of Chinese, Tibetan and Uyghur pages then show boxes, but the
    assertions still hold, so this does not skip."""
    if not FONTS.is_dir():
        return {}
    include = (
        f'<include ignore_missing="yes">{SYSTEM_FONTCONFIG}</include>'
        if SYSTEM_FONTCONFIG.is_file()
        else ""
    )
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  {include}\n  <dir>{escape(str(FONTS))}</dir>\n"
        f"  <cachedir>{escape(str(directory / 'cache'))}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


@pytest.fixture(scope="session")
def browser(django_db_setup, tmp_path_factory) -> Iterator:
    """One chromium for the session. It asks for the test database only to close before the
    database is dropped: chromium keeps its connections to the live server open, and the
    server's thread for each keeps its database connection (CONN_MAX_AGE) until then, so a
    browser still running would make the drop fail ("being accessed by other users")."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        skip_or_fail(
            f"chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
            + (f"; one was found at {found}, set CHROMIUM_PATH" if found else "")
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev dependency group has it
        skip_or_fail(f"playwright is not installed: {exc}")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env=_fontconfig(tmp_path_factory.mktemp("fontconfig")) or None,
        )
        yield browser
        browser.close()


@pytest.fixture
def e2e_db(django_db_serialized_rollback, transactional_db):
    """The live server reads committed data, so browser tests are transactional. Their flush
    also empties data-migration rows (the role groups); serialized rollback restores them."""


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    # A code computed a moment before its 30-second period ends is still accepted.
    settings.MFA_TOTP_TOLERANCE = 1


@pytest.fixture
def page(request, browser, live_server, e2e_db) -> Iterator:
    """A fresh browser context per test (no cookies carried over), based at the live server.
    Content Security Policy violations reported by the browser are collected on
    `page.csp_violations`; a failing test saves a full-page screenshot."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    context.close()
