"""Fixtures for page tests: the app served by uvicorn in a subprocess on the test
database, and Debian's chromium driven by Playwright (no browser download).

Use in a test module with ``from tests.support.browser import live_server, browser, page_at``
(pytest picks the fixtures up from the import).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(**extra_env: str):
    """Base URL of the app served by uvicorn in a subprocess against the test database."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BASE_URL": base_url, **extra_env}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 90  # importing the app takes long on a busy machine
    while True:
        try:
            urllib.request.urlopen(f"{base_url}/api/health", timeout=1)
            break
        except Exception as error:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the app did not start in its subprocess") from error
            time.sleep(0.2)
    try:
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def live_server(database):
    """Base URL of the app served in a subprocess against the same test database."""
    with running_server() as base_url:
        yield base_url


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not executable:
        pytest.fail("Debian's chromium is needed for page tests: `make test` installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def phone(browser):
    """A fresh browser context the size of a phone (no cookies from other tests)."""
    # bypass_csp: Playwright's wait_for_function(<string>) evaluates its predicate with eval, which
    # the app's content security policy forbids; the policy itself is tested in a context that does
    # not bypass it (tests/app/pages/test_security_headers.py).
    context = await browser.new_context(viewport=PHONE, locale="vi-VN", bypass_csp=True)
    yield context
    await context.close()


async def log_in(page, base_url: str, username: str, password: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")


SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


async def screenshot(page, name: str) -> None:
    """Save a full-page screenshot when SCREENSHOT_DIR is set (for people to look at)."""
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        await page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)
