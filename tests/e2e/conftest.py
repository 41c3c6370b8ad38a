"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

* Chromium comes from Debian (/usr/bin/chromium). When it is missing the tests are skipped
  with the reason, unless BILLORA_REQUIRE_BROWSER=1 (CI), where a missing browser fails them.
* Playwright's sync API runs an event loop in this thread, which makes Django's ORM refuse
  to run here ("async unsafe"); the tests only touch the ORM for setup, so that is allowed.
* Every test can ``shot("name")`` the main pages it visits; when a test fails, those
  screenshots and one of the final state are written to ``test-output/<test name>/``.
"""

import os
import re
from pathlib import Path

import pytest
from django.test import override_settings

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("BILLORA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-output"
PHONE = {"width": 375, "height": 812}


def _browser_required() -> bool:
    return os.environ.get("BILLORA_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    # Without Chromium: skip with the reason, unless CI requires the browser (then the
    # ``browser`` fixture fails every test that needs it).
    if CHROMIUM.exists() or _browser_required():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server(request):
    """Start the (session-wide) live server with HTTPS redirects and HSTS off: the security
    middleware reads those settings once, when the server thread builds its handler."""
    if not any("browser" in item.keywords for item in request.session.items):
        yield
        return
    with override_settings(SECURE_SSL_REDIRECT=False, SECURE_HSTS_SECONDS=0):
        request.getfixturevalue("live_server")
    yield


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if _browser_required():
            pytest.fail(f"BILLORA_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def e2e_settings(settings):
    """The live server speaks plain HTTP on localhost: no HTTPS redirect, no Secure cookies,
    verification links in emails use http://; emails are captured in django.core.mail.outbox."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEBUG = False
    return settings


def _new_page(browser, request, viewport):
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    shots: list[tuple[str, bytes]] = []

    def shot(name):
        """Remember a screenshot of a main page; written to disk only if the test fails."""
        shots.append((name, page.screenshot(full_page=True)))

    page.shot = shot
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = OUTPUT_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        for index, (name, data) in enumerate(shots, start=1):
            (folder / f"{index:02d}-{name}.png").write_bytes(data)
        try:
            page.screenshot(path=str(folder / "99-final.png"), full_page=True)
            (folder / "99-final.html").write_text(page.content())
        except Exception as exc:  # the page may be gone; the saved shots still help
            (folder / "99-final-error.txt").write_text(repr(exc))
    context.close()


@pytest.fixture
def page(browser, request, live_server, e2e_settings):
    yield from _new_page(browser, request, {"width": 1280, "height": 900})


@pytest.fixture
def phone_page(browser, request, live_server, e2e_settings):
    yield from _new_page(browser, request, PHONE)
