"""Shared fixtures. Any real network call fails: only loopback is reachable from a test."""

import ipaddress
import socket
from email import message_from_bytes, policy

import pytest

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise RuntimeError(f"Appel réseau réel interdit pendant les tests : {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_real_network():
    socket.socket.connect = _loopback_only
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Each test creates a whole team; the default hasher's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(process, url: str, *, name: str, deadline_s: float, interval: float = 0.05) -> bool:
    """Poll `url` until it answers 200 while `process` (a peer the tests started) lives.

    Raises RuntimeError naming the peer when it exits during start-up (with the end of its stderr);
    returns False when the deadline passes, so the caller stops it and says so.
    """
    import time

    import httpx

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            err = process.stderr.read()[-2000:] if process.stderr else ""
            raise RuntimeError(f"{name} s'est arrêté au démarrage : {err}")
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(interval)
    return False


class SmtpInbox:
    """aiosmtpd handler: keeps every message a real SMTP server on loopback accepted."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def received_by(self, address: str) -> list:
        return [message_from_bytes(e.original_content, policy=policy.default)
                for e in self.envelopes if address in e.rcpt_tos]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, Django's SMTP backend pointed at it, tasks run at once."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    # Setting TASKS resets django_tasks' backend cache (its setting_changed receiver): tasks run at once.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    yield inbox
    controller.stop()
