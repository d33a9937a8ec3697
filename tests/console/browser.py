"""The console served by uvicorn on loopback and driven by Playwright in Debian's chromium
(scripts/test.sh installs it; Playwright downloads no browser)."""

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import API_KEY

# CONSOLE_SCREENSHOTS=docs/images writes the pages the tests visit there (README, docs).
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free loopback port, in this event loop; its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            assert not serving.done(), "uvicorn stopped before it started"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed (scripts/test.sh installs it)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, base_url: str, path: str, key: str = API_KEY) -> None:
    """Open a console page; the login form comes first, then the page asked for."""
    await page.goto(base_url + path)
    assert "/console/login" in page.url
    await page.fill("input[name=api_key]", key)
    await page.click("form.login button[type=submit]")
    await page.wait_for_url(f"{base_url}{path}*")


async def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=f"{SCREENSHOTS}/console-{name}.png", full_page=True)
