"""End to end, in Debian's Chromium driven by Playwright: a community manager composes, the director
approves, the dispatcher publishes on the sandbox network, the calendar shows it published."""

import os
import shutil
import subprocess
import sys
import threading
import time

import httpx
import pytest

from parvis.domain.roles import Role
from tests.factories import PASSWORD, ChannelFactory, one_level_rule, team

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

if not shutil.which(CHROMIUM):
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI : Chromium (/usr/bin/chromium) manque, `make browser` aurait dû l'installer")
    pytest.skip("Chromium absent (/usr/bin/chromium) : `make browser` l'installe", allow_module_level=True)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    from parvis.networks.sandbox.server import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "parvis.networks.sandbox", "--port", str(port),
                             "--state-file", str(tmp_path / "sandbox.sqlite3")])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    monkeypatch.setenv("PARVIS_SANDBOX_URL", url)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def dispatcher(sandbox):
    from parvis.publishing.dispatch import Dispatcher

    d = Dispatcher(poll_interval=0.2)
    t = threading.Thread(target=d.run, daemon=True)
    t.start()
    yield d
    d.stop()
    t.join(20)


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM reads are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def login(page, base, username):
    page.goto(f"{base}/connexion/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()


def test_compose_approve_publish_and_see_it_on_the_calendar(live_server, browser, dispatcher, sandbox):
    members = team(prefix="arras")
    authority = members[Role.DIRECTOR].authority
    one_level_rule(authority)
    mastodon = ChannelFactory(authority=authority, network="mastodon", handle="arras@social.example")
    bluesky = ChannelFactory(authority=authority, network="bluesky", handle="arras.bsky.social")
    base = live_server.url

    page = browser.new_page()
    login(page, base, "arras-community_manager")
    page.goto(f"{base}/a/{authority.slug}/publications/nouvelle/")
    page.fill("[name=title]", "Vœux du maire")
    page.fill("[name=body]", "Cérémonie des vœux du maire vendredi à 18 h, salle des fêtes. Entrée libre.")
    page.check(f"input[name=channels][value='{mastodon.id}']")
    page.check(f"input[name=channels][value='{bluesky.id}']")
    page.check("input[name=schedule_mode][value=now]")
    page.click("#compose-save")
    page.wait_for_load_state()
    assert "/publications/" in page.url
    page.click("#submit-for-approval")
    page.wait_for_load_state()
    assert page.locator("text=En validation").first.is_visible()
    publication_url = page.url

    director = browser.new_page()
    login(director, base, "arras-director")
    director.goto(publication_url)
    director.click("#approve")
    director.wait_for_load_state()

    from parvis.publishing.models import Delivery

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Delivery.objects.exclude(state="published").exists():
        time.sleep(0.2)
    assert Delivery.objects.filter(state="published").count() == 2

    director.goto(publication_url)
    links = director.locator("a", has_text="Voir sur le réseau")
    assert links.count() == 2
    assert links.first.get_attribute("href").startswith(sandbox)
    director.goto(f"{base}/a/{authority.slug}/calendrier/")
    entry = director.locator("a.entry", has_text="Vœux du maire")
    assert entry.count() == 1 and entry.is_visible()
    assert entry.locator(".badge").inner_text().strip() == "Publiée"
    posts = httpx.get(f"{sandbox}/_sandbox/posts", timeout=5).json()
    posts = posts.get("posts", posts) if isinstance(posts, dict) else posts
    assert len(posts) == 2  # exactly once per channel
