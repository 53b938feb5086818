"""The console in a real browser: Debian's Chromium, headless, driven by Playwright, against the
directory served by uvicorn on a loopback port (SQLite, the shipped directory).

Sign in, find a service, edit its eligibility, see the error for a bad value, add a pathway and
see it in the picture, try a referral, use the console with the keyboard alone. Screenshots of
the main pages go to ``var/screenshots/``.

Chromium comes from Debian (``make test`` installs it); Playwright never downloads a browser.
Without Chromium these tests skip, unless ``PATHWAYS_REQUIRE_BROWSER=1`` (as CI sets): then
they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from services.common.db import create_db_engine
from services.common.settings import Environment
from services.directory.app import create_app
from services.directory.settings import DirectorySettings
from tests.directory.helpers import make_keys

from .helpers import row_counts

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

CHROMIUM = Path(os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = "PATHWAYS_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 15_000


def _browser_or_skip() -> None:
    problem = None
    if not CHROMIUM.is_file():
        problem = (
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium); set PATHWAYS_CHROMIUM to use another"
        )
    elif sync_playwright is None:  # pragma: no cover - the test extra installs it
        problem = "the playwright package is missing: pip install -e '.[test]'"
    if problem is None:
        return
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{problem}; {REQUIRE_BROWSER}=1 requires the browser tests to run")
    pytest.skip(problem)


# --------------------------------------------------------------------------- the server


class Served:
    """The directory app on a loopback port, in a thread of this process."""

    def __init__(self, settings: DirectorySettings) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(settings), log_level="warning", lifespan="on", ws="none", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the directory did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _browser_or_skip()
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def database(seeded_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("browser") / "directory.db"
    shutil.copyfile(seeded_sqlite, path)
    engine = create_db_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def admin_key(database: Engine) -> str:
    return make_keys(database).admin


@pytest.fixture(scope="module")
def served(browser: Browser, database: Engine) -> Iterator[Served]:
    settings = DirectorySettings(
        directory_database_url=database.url.render_as_string(hide_password=False),
        environment=Environment.DEVELOPMENT,
        # Chromium counts http://127.0.0.1 as a secure context, so the default (Secure) cookie
        # works on loopback; `make run` relaxes it for other browsers.
        console_cookie_secure=True,
    )
    with Served(settings) as server:
        yield server


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Page]:
    context = browser.new_context(
        base_url=served.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str, *, full: bool = True) -> None:
    """Save a screenshot: the whole page, or (for the long pathways page) what is in view."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full, animations="disabled")


def sign_in(page: Page, key: str, *, start: str = "/console/") -> None:
    page.goto(start)
    page.get_by_label("Admin key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


# --------------------------------------------------------------------------- the journeys


def test_sign_in_and_find_a_service(page: Page, admin_key: str) -> None:
    page.goto("/console/services")
    assert "/console/sign-in" in page.url  # sent to sign in, and back afterwards
    page.get_by_label("Admin key").fill("pwk_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    assert (
        page.locator("#f-key-error")
        .inner_text()
        .endswith("This key cannot sign in to the console. Check it and try again.")
    )
    shot(page, "sign-in-error")
    page.get_by_label("Admin key").fill(admin_key)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/console/services")
    cookie = next(c for c in page.context.cookies() if c["name"] == "pathways_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["secure"]
    assert admin_key not in cookie["value"]

    page.get_by_label("Name contains").fill("ISVA")
    page.get_by_label("Area").select_option(label="Peterborough")
    page.get_by_role("button", name="Find").click()
    results = page.locator("table tbody tr")
    assert results.count() == 1
    shot(page, "services")
    page.get_by_role("link", name="Peterborough ISVA service").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Peterborough ISVA service"
    assert page.get_by_text("13 and over").is_visible()
    shot(page, "service")

    page.goto("/console/")
    shot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    # The click starts a navigation (POST, then the redirect): wait for its page, not the old one.
    signed_out = page.get_by_text("You have signed out")
    signed_out.wait_for()
    assert signed_out.is_visible()
    page.goto("/console/services")
    assert "/console/sign-in" in page.url


def test_edit_eligibility_and_see_the_error_for_a_bad_value(page: Page, admin_key: str) -> None:
    sign_in(page, admin_key, start="/console/services/idva-cambridgeshire/edit")
    minimum = page.get_by_label("Minimum age")
    assert minimum.input_value() == "16"
    minimum.fill("200")
    page.get_by_role("button", name="Save changes").click()
    error = page.locator("#f-eligibility-min_age-error")
    assert error.is_visible()
    assert "120" in error.inner_text()
    assert page.get_by_label("Minimum age").get_attribute("aria-invalid") == "true"
    summary = page.locator("#error-summary")
    assert summary.is_visible() and "Minimum age" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.get_by_label("Minimum age").scroll_into_view_if_needed()
    shot(page, "edit-error")

    # The error summary's link takes the keyboard to the field.
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "f-eligibility-min_age"
    page.get_by_label("Minimum age").fill("18")
    page.get_by_role("group", name="Victim roles").get_by_label("Witness").check()
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("status").inner_text() == "Your changes were saved."
    assert page.get_by_text("18 and over").is_visible()
    assert "Witness" in page.locator("dl.summary").nth(1).inner_text()


def test_add_a_pathway_and_see_it_in_the_picture(page: Page, admin_key: str) -> None:
    sign_in(page, admin_key, start="/console/pathways")
    arrow = 'path.arrow[data-from="neighbourhood-watch"][data-to="road-victims-trust"]'
    assert page.locator(arrow).count() == 0
    shot(page, "pathways", full=False)
    page.get_by_label("From", exact=True).select_option(label="Neighbourhood Watch")
    page.get_by_label("To", exact=True).select_option(label="Road Victims Trust")
    page.get_by_label("Days to first contact").fill("2")
    page.get_by_role("button", name="Add the pathway").click()
    assert (
        "Pathway added: Neighbourhood Watch → Road Victims Trust"
        in page.get_by_role("status").inner_text()
    )
    drawn = page.locator(arrow)
    assert drawn.count() == 1
    assert "new" in (drawn.get_attribute("class") or "")
    box = drawn.bounding_box()
    assert box is not None and box["width"] > 0
    page.locator(arrow).scroll_into_view_if_needed()
    shot(page, "pathway-added", full=False)
    page.goto("/console/pathways/picture.svg")
    assert page.locator(arrow).count() == 1
    size = page.evaluate(
        "[document.documentElement.width.baseVal.value, "
        "document.documentElement.height.baseVal.value]"
    )
    page.set_viewport_size({"width": int(size[0]), "height": int(size[1])})
    shot(page, "pathway-picture", full=False)  # the whole picture, at its own size
    page.set_viewport_size({"width": 1280, "height": 900})
    page.go_back()

    # Filtered to an area and a need, the picture keeps to what serves them.
    page.get_by_label("Area").select_option(label="Fenland")
    page.get_by_label("Need").select_option(label="Accommodation")
    page.get_by_role("button", name="Show", exact=True).click()
    shown = page.locator("svg .node").evaluate_all("ns => ns.map(n => n.dataset.node)")
    assert "housing-fenland" in shown and "housing-cambridge" not in shown

    # And removed again (the browser asks first).
    page.goto("/console/pathways")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role(
        "button", name="Remove the pathway Neighbourhood Watch to Road Victims Trust"
    ).click()
    assert "Pathway removed" in page.get_by_role("status").inner_text()
    assert page.locator(arrow).count() == 0


def test_try_a_referral(page: Page, admin_key: str, database: Engine) -> None:
    sign_in(page, admin_key, start="/console/try")
    counts = row_counts(database)
    page.get_by_label("Age", exact=True).fill("34")
    page.get_by_label("Area", exact=True).select_option(label="Cambridge")
    page.get_by_label("Sex", exact=True).select_option(label="Female")
    page.get_by_label("Kind of incident", exact=True).select_option(label="Domestic abuse")
    page.get_by_label("Reported to the police", exact=True).select_option(label="Yes")
    page.get_by_label("DASH score", exact=True).fill("16")
    page.get_by_role("group", name="Risk flags").get_by_label(
        "Risk from the offender", exact=True
    ).check()
    page.get_by_label("Domestic abuse advocacy (IDVA)", exact=True).select_option(label="3 high")
    page.get_by_label("Accommodation", exact=True).select_option(label="2 moderate")
    page.get_by_label("Forensic medical care (SARC)", exact=True).select_option(label="1 low")
    page.get_by_role("button", name="Show the plan").click()
    result = page.locator("section.result")
    assert result.is_visible()
    text = result.inner_text()
    assert "Lead (owns the case)" in text and "Cambridgeshire IDVA" in text
    assert "a MARAC referral is due" in text
    assert "Unmet needs (1)" in text
    shot(page, "try-a-referral")
    assert row_counts(database) == counts  # nothing stored


def test_the_console_works_with_the_keyboard_alone(page: Page, admin_key: str) -> None:
    page.goto("/console/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")  # the skip link jumps over the header
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-key"
    page.keyboard.type(admin_key)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/")
    # Tab to the capacity board's link in the menu and follow it.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Capacity":
            break
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # a visible focus
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/capacity")
    shot(page, "capacity")
    # Update one service's figures without a mouse.
    page.get_by_label("Places free for Hate crime advocacy").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/capacity?**")
    assert "Capacity updated for Hate crime advocacy" in page.get_by_role("status").inner_text()
    page.goto("/console/gaps")
    shot(page, "gaps")


def test_the_pages_keep_to_the_project_s_own_files(
    page: Page, admin_key: str, served: Served
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    failures: list[Any] = []
    page.on(
        "console",
        lambda message: failures.append(message.text) if message.type == "error" else None,
    )
    sign_in(page, admin_key)
    for path in ("/console/services", "/console/pathways", "/console/try", "/console/gaps"):
        page.goto(path)
    assert requested and all(url.startswith(served.url) for url in requested), requested
    assert not failures, failures  # no CSP violation, no script error


CONTRAST = """
() => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const e of document.querySelectorAll("body *")) {
    if (e.closest("svg") || !e.getClientRects().length) { continue; }
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) { continue; }
    const style = getComputedStyle(e);
    if (style.visibility === "hidden" || style.clip === "rect(0px, 0px, 0px, 0px)") { continue; }
    const fg = lum(rgba(style.color).slice(0, 3));
    const bg = lum(background(e));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      low.push(`${e.tagName} "${e.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
  }
  return low;
}
"""


def test_text_contrast_is_at_least_4_5_to_1(page: Page, admin_key: str) -> None:
    page.goto("/console/sign-in")
    assert page.evaluate(CONTRAST) == []
    sign_in(page, admin_key)
    for path in (
        "/console/",
        "/console/services",
        "/console/services/womens-aid-refuge",
        "/console/capacity",
        "/console/pathways?area=E07000010",
        "/console/try",
        "/console/gaps",
        "/console/nowhere",
    ):
        page.goto(path)
        assert page.evaluate(CONTRAST) == [], path
    page.goto("/console/services/idva-cambridgeshire/edit")
    page.get_by_label("Maximum age").fill("x")
    page.get_by_role("button", name="Save changes").click()
    assert page.evaluate(CONTRAST) == []  # the error colours too
