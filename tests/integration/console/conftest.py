"""The web console in a real browser: Debian's Chromium driven by Playwright, against the
API under gunicorn, the stream process, a real Dramatiq worker and a real S3 endpoint (the
pipeline tests' fixtures), so a card goes from placeholder to loaded images the way it does
for a person."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, sync_playwright

from tests.integration.pipeline.conftest import (  # noqa: F401 - fixtures, used by name
    broker_url,
    images,
    pipeline_database,
    pipeline_settings,
    s3_server,
    worker,
    worker_factory,
)
from tests.support.accounts import Account
from tests.support.environment import settings_env
from tests.support.processes import REPO, ApiServer, free_port
from tests.support.stream_server import StreamServer

CHROMIUM = "/usr/bin/chromium"
# No sandbox (the tests may run as root in a container), nothing the browser would fetch
# for itself: only the pages' own requests reach the network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
OPERATOR_TOKEN = "operator-token-for-console-tests-0123"
#: Where `make screenshots` keeps the README's pictures; other runs take them into the test's
#: own folder, so that `make test` leaves the working tree as it was.
SCREENSHOTS = REPO / "docs" / "screenshots"


@dataclass
class Console:
    """The API (which serves the console) and the stream beside it."""

    api: ApiServer
    stream: StreamServer

    @property
    def url(self) -> str:
        return self.api.url + "/console"

    def sign_up(self) -> Account:
        email = f"{uuid.uuid4().hex}@example.com"
        body = requests.post(self.api.url + "/users", json={"name": "Ada", "email": email},
                             timeout=10).json()
        return Account(body["id"], body["api_key"], email)

    def product(self, product_id: int) -> dict:
        return requests.get(f"{self.api.url}/products/{product_id}", timeout=10).json()


@dataclass
class Watched:
    """A page with what it said: dialogs it opened, console errors, uncaught exceptions."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accept_dialogs: bool = False

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # A missing browser fails here (scripts/services.sh installs it), never skips.
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser) -> Iterator:
    """Opens a page in a context of its own (its own sessionStorage), watched."""
    contexts = []

    def open_one(*, accept_dialogs: bool = False) -> Watched:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        watched = Watched(page, accept_dialogs=accept_dialogs)
        page.on("dialog", watched.on_dialog)
        page.on("console", watched.on_console)
        page.on("pageerror", lambda error: watched.errors.append(f"uncaught: {error}"))
        return watched

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def console_factory(pipeline_settings, pipeline_database, tmp_path) -> Iterator:  # noqa: F811
    started: list[Console] = []

    def start(*, operator_token: str = "", **env: str) -> Console:
        """``env``: variables both processes get (e.g. STREAM_TOKEN_TTL_SECONDS)."""
        stream_port = free_port()
        api = ApiServer(settings_env(
            pipeline_settings, OPERATOR_TOKEN=operator_token,
            EVENTS_PUBLIC_URL=f"http://127.0.0.1:{stream_port}", **env),
            log_path=tmp_path / f"api-{len(started)}.log")
        # The console's pages come from the API's origin: the stream must let it in.
        stream = StreamServer(settings_env(pipeline_settings, EVENTS_CORS_ORIGINS=api.url,
                                           EVENTS_POLL_SECONDS="0.5", **env), port=stream_port)
        started.append(console := Console(api, stream))
        return console

    yield start
    for console in started:
        console.stream.close()
        console.api.stop()


def sign_in(watched: Watched, console: Console, account: Account) -> Page:
    """The catalog, signed in as ``account``, with its live stream open."""
    page = watched.page
    page.goto(console.url)
    page.fill("#sign-in [name=user]", str(account.id))
    page.fill("#sign-in [name=key]", account.api_key)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#catalog", state="visible")
    page.wait_for_selector("#stream-state[data-state=live]")
    return page


@dataclass
class SignedIn:
    console: Console
    account: Account
    watched: Watched

    @property
    def page(self) -> Page:
        return self.watched.page


@pytest.fixture
def signed_in(console_factory, open_page) -> SignedIn:
    """A new user in the catalog of a console without operators, its stream open."""
    console = console_factory()
    account = console.sign_up()
    watched = open_page()
    sign_in(watched, console, account)
    return SignedIn(console, account, watched)


def screenshot(page: Page, name: str, folder: Path) -> Path:
    """The whole page as ``name``: in docs/screenshots when UPDATE_SCREENSHOTS=1, else in
    ``folder``."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path
