"""Meta webhook endpoint (Facebook Pages `feed`/`mention`, Instagram `comments`/`mentions`).

GET is the subscription handshake: Meta sends `hub.mode=subscribe`, `hub.verify_token` and `hub.challenge`;
we echo the challenge only when the token is ours. POST carries changes signed with the app secret in
`X-Hub-Signature-256`; a bad or missing signature is a 403 and nothing is read.

One installation-wide Meta app is configured by PARVIS_META_APP_SECRET / PARVIS_META_WEBHOOK_VERIFY_TOKEN
(Django settings META_APP_SECRET / META_WEBHOOK_VERIFY_TOKEN win). An authority with its own Meta app
points its webhook to /webhooks/meta/<app id>/: the secret and verify token are then read from the
credentials of its Facebook or Instagram channels (`app_id`, `app_secret`, `webhook_verify_token`).
"""

from __future__ import annotations

import hmac
import json
import logging
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from parvis.channels.models import Channel
from parvis.networks.meta.webhooks import SIGNATURE_HEADER, parse_changes, valid_signature
from parvis.networks.types import CommentPage

log = logging.getLogger("parvis.webhooks")


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or os.environ.get(f"PARVIS_{name}", "") or "")


def app_credentials(app_id: str | None) -> tuple[str, str]:
    """(app secret, verify token) of the Meta app this webhook belongs to; empty strings when unknown."""
    if not app_id or app_id == _setting("META_APP_ID"):
        return _setting("META_APP_SECRET"), _setting("META_WEBHOOK_VERIFY_TOKEN")
    from parvis.channels.crypto import CredentialsError, decrypt
    from parvis.channels.models import Channel

    for blob in Channel.objects.filter(network__in=["facebook", "instagram"]).values_list("credentials", flat=True):
        try:
            data = decrypt(blob)
        except CredentialsError:
            continue
        if str(data.get("app_id") or "") == app_id and data.get("app_secret"):
            return str(data["app_secret"]), str(data.get("webhook_verify_token") or "")
    return "", ""


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest, app_id: str | None = None) -> HttpResponse:
    secret, verify_token = app_credentials(app_id)
    if request.method == "GET":
        given = request.GET.get("hub.verify_token", "")
        if (request.GET.get("hub.mode") == "subscribe" and verify_token
                and hmac.compare_digest(given.encode(), verify_token.encode())):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("Jeton de vérification invalide.")
    body = request.body
    if not valid_signature(body, request.headers.get(SIGNATURE_HEADER), secret):
        return HttpResponseForbidden("Signature invalide.")
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse("Corps illisible.", status=400)
    stored = store_changes(payload)
    log.info("meta webhook: %d comment(s) or mention(s) stored", stored)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


NETWORK_OF_OBJECT = {"page": "facebook", "instagram": "instagram"}


def store_changes(payload: dict) -> int:
    """Into the inbox of every connected channel the changes name (Page id or Instagram account id).

    The cursor is left alone: polling stays the safety net for anything a webhook missed.
    """
    from parvis.inbox.ingest import ingest

    network = NETWORK_OF_OBJECT.get(str(payload.get("object") or "") if isinstance(payload, dict) else "")
    if network is None:
        return 0
    by_account: dict[str, list] = {}
    for account, comment in parse_changes(payload):
        by_account.setdefault(account, []).append(comment)
    stored = 0
    for account, comments in by_account.items():
        for channel in Channel.objects.filter(network=network, remote_account_id=account, is_sandbox=False):
            stored += ingest(channel, CommentPage(tuple(comments), None)).stored
    return stored


urlpatterns = [
    path("webhooks/meta/", meta_webhook, name="meta_webhook"),
    path("webhooks/meta/<str:app_id>/", meta_webhook, name="meta_webhook_app"),
]
