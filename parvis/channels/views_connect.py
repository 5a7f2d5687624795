"""Pages that connect a channel to its real account. Thin: read the input, call parvis.channels.connect.

One callback URL for the whole instance (/connexion/retour/): the signed state says which channel, the
session holds the one-time nonce and the PKCE verifier.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from parvis.domain.roles import Permission
from parvis.organisations.queries import membership_for, require
from parvis.web import forms
from parvis.web.views import _page

from . import connect
from .models import Channel

MAX_PENDING = 5  # connections started in one session and not finished yet


def callback_url() -> str:
    """The redirect URI registered at every provider: one for the instance."""
    return settings.PUBLIC_URL + reverse("channel_connect_callback")


def _context(channel: Channel, values: dict, errors: dict, general: list[str]) -> dict:
    kind = connect.connection_kind(channel.network)
    provider = connect.oauth.PROVIDERS.get(channel.network)
    own_app = None
    if kind == "oauth" and provider is not None:
        own_app = connect.authority_app(channel, provider)
    return {
        "channel": channel, "kind": kind, "values": values, "errors": errors, "general_errors": general,
        "provider": provider,
        "instance_app": bool(provider and connect.instance_app(provider)),
        "authority_app": own_app.client_id if own_app else "",
        "callback_url": callback_url(),
        "default_pds": connect.DEFAULT_PDS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def channel_connect(request, slug, pk):
    m = membership_for(request.user, slug)
    require(m, Permission.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel, pk=pk, authority=m.authority)
    kind = connect.connection_kind(channel.network)
    values = {"instance_url": channel.instance_url, "handle": channel.handle.lstrip("@"),
              "pds_url": channel.instance_url or connect.DEFAULT_PDS, "app_id": ""}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST" and not channel.is_sandbox and kind:
        post = request.POST
        values.update({k: (post.get(k) or "").strip() for k in ("instance_url", "handle", "pds_url", "app_id")})
        try:
            if kind == "app_password":
                connect.connect_with_app_password(m, channel, handle=values["handle"],
                                                  app_password=post.get("app_password") or "",
                                                  pds_url=values["pds_url"])
                messages.success(request, _("Compte connecté. Les publications retenues partent maintenant."))
                return redirect("channels", slug=slug)
            started = connect.start_connection(m, channel, redirect_uri=callback_url(),
                                               instance_url=values["instance_url"], app_id=values["app_id"],
                                               app_secret=(post.get("app_secret") or "").strip())
        except ValidationError as exc:
            errors = forms.errors_of(exc)
        except connect.ConnectError as exc:
            general = [str(exc)]
        else:
            pending = dict(request.session.get(connect.SESSION_KEY) or {})
            pending[started.nonce] = started.pending
            request.session[connect.SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])
            return redirect(started.url)
    shown = {"instance_url", "handle", "pds_url", "app_password", "app_id"}
    general += [e for f, msgs in errors.items() if f not in shown for e in msgs]
    status = 400 if (errors or general) else 200
    return _page(request, "web/channel_connect.html", m, _context(channel, values, errors, general), status=status)


@login_required
@require_GET
def channel_connect_callback(request):
    pending = dict(request.session.get(connect.SESSION_KEY) or {})
    try:
        entry = connect.check_state(request.GET.get("state", ""), pending)
    except connect.StateError as exc:
        return render(request, "web/channel_connect_invalid.html", {"message": str(exc)}, status=400)
    finally:
        request.session[connect.SESSION_KEY] = pending  # the nonce is spent, whatever happens next
    channel = Channel.objects.select_related("authority").filter(pk=entry["channel"]).first()
    if channel is None:
        raise Http404
    m = membership_for(request.user, channel.authority.slug)
    back = redirect("channel_connect", slug=channel.authority.slug, pk=channel.pk)
    if request.GET.get("error"):
        reason = request.GET.get("error_description") or request.GET.get("error")
        messages.warning(request, _("Connexion annulée sur le réseau : %(reason)s") % {"reason": reason[:300]})
        return back
    try:
        connect.complete_connection(m, channel, code=request.GET.get("code", ""), pending=entry)
    except connect.ConnectError as exc:
        messages.error(request, str(exc))
        return back
    messages.success(request, _("Compte connecté. Les publications retenues partent maintenant."))
    return redirect("channels", slug=channel.authority.slug)
