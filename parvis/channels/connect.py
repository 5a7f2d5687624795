"""Connecting a channel to its real account, and keeping it connected.

- OAuth networks: `start_connection` gives the provider's URL and what the session must keep (the PKCE
  verifier never leaves the server); the callback calls `check_state` then `complete_connection`.
  The state is signed, carries its issue time (10 minutes to come back) and a one-time nonce kept in the
  user's session: a forged, expired, replayed or foreign state is refused.
- Mastodon: one app per instance, registered on first connection; its client id/secret live in the
  channel's encrypted credentials (no model of their own).
- Bluesky: handle + app password + PDS, checked by a login through the Bluesky connector.
- `refresh_expiring(now)` renews tokens before they expire; `expiry_alerts(now)` e-mails the owners 7 days
  and 1 day before an unrenewable token expires.

Credentials stored (encrypted) per channel, as connectors read them in `credentials.data`:
`access_token`, `refresh_token` (never replaced by an empty one), `expires_at` (ISO, "" = no expiry), `scope`,
`app_id`/`app_secret` (an authority's own app), `client_id`/`client_secret`/`client_instance` (Mastodon app),
Facebook: `access_token` = the Page token, `page_id`, `user_access_token`; Instagram (Instagram Login):
`ig_user_id`, `login` = "instagram"; Mastodon: `account_id`;
Bluesky: `identifier`, `app_password` and whatever the connector's login returns.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from parvis.audit.actions import record
from parvis.config.settings import env, env_bool
from parvis.domain.roles import Permission, Role
from parvis.networks import errors as net_errors
from parvis.networks import oauth
from parvis.networks.http import UnsafeHost, guard_public_host
from parvis.networks.registry import connector_class
from parvis.networks.types import Credentials
from parvis.organisations.queries import require

from . import actions
from .crypto import CredentialsError, decrypt, encrypt
from .models import Channel

log = logging.getLogger("parvis.channels.connect")

STATE_SALT = "parvis.channels.connect.state"
STATE_MAX_AGE = timedelta(minutes=10)
SESSION_KEY = "parvis_oauth_pending"
DEFAULT_PDS = "https://bsky.social"
# Networks whose connector renews its own credentials (Bluesky sessions): renew this long before expiry.
DEFAULT_REFRESH_MARGIN = timedelta(hours=1)
# Alerts before an unrenewable token expires, largest first: key stored in Channel.expiry_alerts_sent.
ALERTS = (("7d", timedelta(days=7)), ("1d", timedelta(days=1)))
# Never replaced by an empty value: a provider that does not rotate sends none back.
KEPT_SECRETS = ("refresh_token", "refresh_jwt")
META_NETWORKS = {"facebook", "instagram"}


class ConnectError(Exception):
    """A connection step failed; the message is for the user (French)."""


class StateError(ConnectError):
    """The provider's answer does not belong to a connection this session started."""


def connection_kind(network: str) -> str:
    """"oauth", "mastodon", "app_password" or "" (no real connection for this network yet)."""
    if network == "mastodon":
        return "mastodon"
    if network == "bluesky":
        return "app_password"
    return "oauth" if network in oauth.PROVIDERS else ""


def _allow_loopback() -> bool:
    # Tests and local peers run servers on 127.0.0.1; production refuses internal addresses.
    return bool(getattr(settings, "PARVIS_ALLOW_LOOPBACK_SERVERS", env_bool("ALLOW_LOOPBACK_SERVERS", False)))


def _scoped(membership, channel: Channel) -> None:
    require(membership, Permission.MANAGE_CHANNELS)
    if channel.authority_id != membership.authority_id:
        raise Http404


def _credentials(channel: Channel) -> dict:
    try:
        return decrypt(channel.credentials)
    except CredentialsError:
        return {}  # unreadable (key changed): connecting again is exactly the cure


def merge_credentials(old: dict, new: dict) -> dict:
    merged = {**old, **new}
    for key in KEPT_SECRETS:
        if not new.get(key) and old.get(key):
            merged[key] = old[key]
    return merged


def _server_url(raw: str, field: str) -> str:
    """A user-given server address, normalised to scheme://host[:port], refused if internal."""
    raw = (raw or "").strip()
    if raw and "://" not in raw:
        raw = f"https://{raw}"
    if not raw:
        raise ValidationError({field: "Indiquez l'adresse du serveur, par exemple https://mastodon.social."})
    try:
        guard_public_host(raw, allow_loopback=_allow_loopback())
    except UnsafeHost as exc:
        raise ValidationError({field: str(exc)}) from exc
    parts = urlsplit(raw)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


# --- Apps: whose client id Parvis uses --------------------------------------------------------------------


def instance_app(provider: oauth.Provider) -> oauth.App | None:
    """The installation's app: PARVIS_<META|X|...>_APP_ID and _APP_SECRET."""
    if not provider.app_setting:
        return None
    app_id = env(f"{provider.app_setting}_APP_ID") or ""
    if not app_id:
        return None
    return oauth.App(app_id, env(f"{provider.app_setting}_APP_SECRET") or "")


def authority_app(channel: Channel, provider: oauth.Provider, creds: dict | None = None) -> oauth.App | None:
    """The authority's own app: on this channel, else on another of its channels of the same family."""
    creds = _credentials(channel) if creds is None else creds
    if creds.get("app_id"):
        return oauth.App(creds["app_id"], creds.get("app_secret", ""))
    family = META_NETWORKS if channel.network in META_NETWORKS else {channel.network}
    for other in Channel.objects.filter(authority_id=channel.authority_id, network__in=family,
                                        is_sandbox=False).exclude(pk=channel.pk):
        data = _credentials(other)
        if data.get("app_id"):
            return oauth.App(data["app_id"], data.get("app_secret", ""))
    return None


def app_for(channel: Channel, provider: oauth.Provider, creds: dict) -> oauth.App | None:
    if channel.network == "mastodon":
        if creds.get("client_id"):
            return oauth.App(creds["client_id"], creds.get("client_secret", ""))
        return None
    return authority_app(channel, provider, creds) or instance_app(provider)


# --- OAuth: start ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    url: str  # where to send the browser
    nonce: str  # key of `pending` in the session
    pending: dict  # kept in the session until the callback: channel, verifier, redirect URI, instance


def start_connection(membership, channel: Channel, *, redirect_uri: str, instance_url: str = "",
                     app_id: str = "", app_secret: str = "", now: datetime | None = None,
                     client=None) -> Started:
    """Prepare the provider's authorization URL for this channel (registers the Mastodon app if needed)."""
    _scoped(membership, channel)
    now = now or timezone.now()
    if channel.is_sandbox:
        raise ConnectError("Ce compte est simulé : il n'a pas besoin d'être connecté à un vrai réseau.")
    kind = connection_kind(channel.network)
    if kind not in {"oauth", "mastodon"}:
        raise ConnectError(f"La connexion à {channel.network_label} ne passe pas par une autorisation OAuth.")
    creds = _credentials(channel)
    instance = ""
    if kind == "mastodon":
        instance = _server_url(instance_url or channel.instance_url, "instance_url")
        if not (creds.get("client_id") and creds.get("client_instance") == instance
                and creds.get("client_redirect_uri") == redirect_uri):
            try:
                app = oauth.register_mastodon_app(
                    instance, client_name=f"Parvis · {membership.authority.name}"[:100],
                    redirect_uri=redirect_uri, website=settings.PUBLIC_URL, client=client)
            except (net_errors.NetworkError, oauth.OAuthError) as exc:
                raise ConnectError(str(exc)) from exc
            if creds.get("client_instance") and creds["client_instance"] != instance:
                # Another instance: its token means nothing here.
                creds = {k: v for k, v in creds.items() if k not in {"access_token", "refresh_token"}}
            creds.update(client_id=app.client_id, client_secret=app.client_secret, client_instance=instance,
                         client_redirect_uri=redirect_uri)
            channel.credentials = encrypt(creds)
            channel.instance_url = instance
            channel.save(update_fields=["credentials", "instance_url"])
    provider = oauth.provider_for(channel.network, instance)
    if app_id.strip() or app_secret.strip():
        if not (app_id.strip() and app_secret.strip()):
            raise ValidationError({"app_id": "Indiquez à la fois l'identifiant et la clé secrète de l'application."})
        creds.update(app_id=app_id.strip(), app_secret=app_secret.strip())
        channel.credentials = encrypt(creds)
        channel.save(update_fields=["credentials"])
    app = app_for(channel, provider, creds)
    if app is None:
        raise ConnectError(
            f"Aucune application {channel.network_label} n'est configurée : indiquez celle de la collectivité "
            f"ci-dessous, ou demandez à l'administrateur de renseigner PARVIS_{provider.app_setting}_APP_ID "
            f"et PARVIS_{provider.app_setting}_APP_SECRET."
        )
    verifier = oauth.new_code_verifier() if provider.pkce else ""
    nonce = oauth.new_nonce()
    state = signing.dumps({"n": nonce, "c": channel.pk, "t": int(now.timestamp())}, salt=STATE_SALT)
    url = oauth.authorization_url(provider, app, redirect_uri=redirect_uri, state=state, code_verifier=verifier)
    return Started(url=url, nonce=nonce, pending={"channel": channel.pk, "verifier": verifier,
                                                  "redirect_uri": redirect_uri, "instance": instance})


# --- OAuth: callback ---------------------------------------------------------------------------------------


def check_state(state: str, pending_store: dict, *, now: datetime | None = None,
                max_age: timedelta = STATE_MAX_AGE) -> dict:
    """The pending connection this state belongs to, removed from `pending_store` (one use only)."""
    now = now or timezone.now()
    try:
        payload = signing.loads(state or "", salt=STATE_SALT)
    except signing.BadSignature as exc:
        raise StateError("La réponse du réseau ne correspond à aucune connexion lancée depuis Parvis "
                         "(paramètre « state » invalide). Recommencez depuis la page du compte.") from exc
    nonce = payload.get("n") if isinstance(payload, dict) else None
    entry = pending_store.pop(nonce, None) if isinstance(nonce, str) else None
    if entry is None:
        raise StateError("Cette réponse de connexion a déjà été utilisée ou a été lancée depuis une autre "
                         "session. Recommencez depuis la page du compte.")
    issued = datetime.fromtimestamp(int(payload.get("t", 0)), tz=UTC)
    if now - issued > max_age or now < issued - timedelta(minutes=1):
        raise StateError(f"La connexion a pris plus de {int(max_age.total_seconds() // 60)} minutes et a "
                         "expiré. Recommencez depuis la page du compte.")
    if entry.get("channel") != payload.get("c"):
        raise StateError("La réponse de connexion ne correspond pas au compte attendu. Recommencez.")
    return entry


def _pick_page(channel: Channel, pages: list[dict]) -> dict:
    wanted = {v.strip().lstrip("@").casefold() for v in (channel.remote_account_id, channel.handle) if v}
    for page in pages:
        if {page["id"], page["username"].casefold(), page["name"].casefold()} & wanted:
            return page
    if len(pages) == 1:
        return pages[0]
    names = ", ".join(p["name"] or p["id"] for p in pages) or "aucune"
    raise ConnectError(f"Aucune des Pages Facebook accessibles ne correspond au compte « {channel.handle} » "
                       f"(Pages accessibles : {names}). Indiquez l'identifiant ou le nom d'utilisateur de la "
                       "Page comme identifiant du compte, ou connectez-vous avec un profil qui la gère.")


def complete_connection(membership, channel: Channel, *, code: str, pending: dict,
                        now: datetime | None = None, client=None) -> Channel:
    """Exchange the code, store the tokens encrypted, mark the channel active and release held deliveries."""
    _scoped(membership, channel)
    now = now or timezone.now()
    if pending.get("channel") != channel.pk:
        raise StateError("La réponse de connexion ne correspond pas au compte attendu. Recommencez.")
    creds = _credentials(channel)
    provider = oauth.provider_for(channel.network, pending.get("instance", ""))
    app = app_for(channel, provider, creds) if provider else None
    if provider is None or app is None:
        raise ConnectError("La connexion n'a pas pu être préparée : recommencez depuis la page du compte.")
    if not code:
        raise ConnectError(f"{channel.network_label} n'a pas renvoyé de code d'autorisation. Recommencez.")
    try:
        tokens = oauth.exchange_code(provider, app, code=code, redirect_uri=pending["redirect_uri"],
                                     code_verifier=pending.get("verifier", ""), now=now, client=client)
        data = tokens.as_credentials()
        remote_id = str(data.get("user_id") or "")
        expires_at = tokens.expires_at
        if channel.network == "facebook":
            page = _pick_page(channel, oauth.facebook_pages(tokens.access_token, client=client))
            data = {"user_access_token": tokens.access_token, "user_token_expires_at": data["expires_at"],
                    "access_token": page["access_token"], "page_id": page["id"], "expires_at": "",
                    "instagram_id": page["instagram_id"]}
            remote_id, expires_at = page["id"], None  # a Page token from a long-lived user token never expires
        elif channel.network == "instagram":  # Instagram Login: the connector reads these two keys
            data.update(ig_user_id=remote_id, login="instagram")
        elif channel.network == "mastodon":
            remote_id = oauth.mastodon_account(pending["instance"], tokens.access_token, client=client).get("id", "")
            if remote_id:
                data["account_id"] = remote_id
    except oauth.OAuthError as exc:
        raise ConnectError(f"{channel.network_label} a refusé la connexion : {exc}") from exc
    except net_errors.NetworkError as exc:
        raise ConnectError(f"{channel.network_label} ne répond pas : {exc}") from exc
    data["connected_at"] = now.isoformat()
    with transaction.atomic():
        channel = actions.reconnect(membership, channel, merge_credentials(creds, data))
        channel.token_expires_at = expires_at
        channel.expiry_alerts_sent = []
        if remote_id:
            channel.remote_account_id = remote_id
        channel.save(update_fields=["token_expires_at", "expiry_alerts_sent", "remote_account_id"])
    return channel


# --- Bluesky: app password ---------------------------------------------------------------------------------


def connect_with_app_password(membership, channel: Channel, *, handle: str, app_password: str,
                              pds_url: str = DEFAULT_PDS, now: datetime | None = None) -> Channel:
    """Check the app password with a login through the Bluesky connector, then store it encrypted.

    A refused login stores nothing. Without a Bluesky connector installed, the password is stored as given.
    """
    _scoped(membership, channel)
    now = now or timezone.now()
    errors = {}
    handle = (handle or "").strip().lstrip("@")
    app_password = (app_password or "").strip()
    if not handle:
        errors["handle"] = "Indiquez l'identifiant Bluesky du compte, par exemple ville.bsky.social."
    if not app_password:
        errors["app_password"] = ("Indiquez un mot de passe d'application, créé dans Bluesky > Paramètres > "
                                  "Confidentialité et sécurité > Mots de passe d'application.")
    try:
        # The default server is no user input: no lookup needed (and none possible offline).
        pds = DEFAULT_PDS if (pds_url or DEFAULT_PDS).strip().rstrip("/") == DEFAULT_PDS \
            else _server_url(pds_url, "pds_url")
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    data = {"identifier": handle, "app_password": app_password}
    cls = None if channel.is_sandbox else connector_class("bluesky")
    if cls is not None:
        connector = _connector(cls, Credentials(handle, dict(data)), base_url=pds)
        login = getattr(connector, "login", None)
        try:
            session = login() if callable(login) else connector.refresh_credentials()
        except NotImplementedError:
            session = None
        except net_errors.AuthExpired as exc:
            raise ValidationError({"app_password": (
                "Bluesky refuse cet identifiant ou ce mot de passe d'application : vérifiez-les (un mot de passe "
                "d'application ressemble à abcd-efgh-ijkl-mnop). Rien n'a été enregistré.")}) from exc
        except net_errors.NetworkError as exc:
            raise ValidationError({"pds_url": f"Le serveur Bluesky {pds} ne répond pas correctement : {exc}. "
                                              "Rien n'a été enregistré ; réessayez."}) from exc
        finally:
            connector.close()
        if isinstance(session, dict):
            data = merge_credentials(data, session)
    data["connected_at"] = now.isoformat()
    with transaction.atomic():
        channel = actions.reconnect(membership, channel, merge_credentials(_credentials(channel), data))
        channel.instance_url = pds
        channel.remote_account_id = str(data.get("did") or channel.remote_account_id)
        channel.token_expires_at = _instant(data.get("expires_at"))
        channel.expiry_alerts_sent = []
        channel.save(update_fields=["instance_url", "remote_account_id", "token_expires_at", "expiry_alerts_sent"])
    return channel


# --- Keeping tokens alive -----------------------------------------------------------------------------------


def _instant(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _connector(cls, credentials: Credentials, *, base_url: str | None):
    # Connectors of user-given servers (Bluesky PDS) refuse loopback unless told: tests and local peers.
    if _allow_loopback() and "allow_loopback" in inspect.signature(cls).parameters:
        return cls(credentials, base_url=base_url, allow_loopback=True)
    return cls(credentials, base_url=base_url)


def _refreshing_connector(channel: Channel):
    cls = connector_class(channel.network)
    return cls if cls is not None and "refresh" in getattr(cls, "capabilities", ()) else None


def can_refresh(channel: Channel, creds: dict) -> bool:
    """Whether Parvis can renew this channel's token without the user."""
    if _refreshing_connector(channel) is not None:
        return True
    provider = oauth.provider_for(channel.network, channel.instance_url)
    if provider is None or not provider.refresh:
        return False
    if channel.network == "facebook":
        return False
    return bool(creds.get("refresh_token") or (provider.refresh_url and creds.get("access_token")))


def refresh_margin(network: str) -> timedelta:
    provider = oauth.PROVIDERS.get(network)
    return provider.refresh_margin if provider else DEFAULT_REFRESH_MARGIN


def _refresh_one(channel: Channel, creds: dict, now: datetime, client) -> dict | None:
    cls = _refreshing_connector(channel)
    if cls is not None:
        connector = _connector(cls, Credentials(channel.handle, dict(creds)), base_url=channel.instance_url or None)
        try:
            return connector.refresh_credentials()
        finally:
            connector.close()
    provider = oauth.provider_for(channel.network, channel.instance_url)
    app = app_for(channel, provider, creds) or oauth.App("")
    tokens = oauth.refresh(provider, app, access_token=creds.get("access_token", ""),
                           refresh_token=creds.get("refresh_token", ""), now=now, client=client)
    return tokens.as_credentials()


def refresh_expiring(now: datetime, *, client=None) -> dict[str, int]:
    """Renew every token that expires within its network's margin. A refused renewal marks the channel
    "reconnect" and e-mails its owners; its deliveries stay scheduled until someone reconnects."""
    widest = max([refresh_margin(n) for n in oauth.PROVIDERS] + [DEFAULT_REFRESH_MARGIN])
    counts = {"refreshed": 0, "reconnect": 0, "failed": 0}
    candidates = Channel.objects.filter(status=Channel.Status.ACTIVE, is_sandbox=False,
                                        token_expires_at__isnull=False, token_expires_at__lte=now + widest)
    for channel in candidates.select_related("authority"):
        if channel.token_expires_at - now > refresh_margin(channel.network):
            continue
        try:
            creds = decrypt(channel.credentials)
        except CredentialsError:
            counts["reconnect"] += mark_reconnect(channel, "identifiants illisibles")
            continue
        if not can_refresh(channel, creds):
            continue  # expiry_alerts() tells the owners in time
        try:
            new = _refresh_one(channel, creds, now, client)
        except (net_errors.AuthExpired, net_errors.Permanent) as exc:
            counts["reconnect"] += mark_reconnect(channel, str(exc))
            continue
        except oauth.OAuthError as exc:
            if exc.needs_reconnect or channel.token_expires_at <= now:
                counts["reconnect"] += mark_reconnect(channel, str(exc))
            else:
                counts["failed"] += 1
            continue
        except (net_errors.NetworkError, NotImplementedError) as exc:
            log.warning("token refresh failed for channel %s: %s", channel.pk, type(exc).__name__)
            if channel.token_expires_at <= now:
                counts["reconnect"] += mark_reconnect(channel, str(exc))
            else:
                counts["failed"] += 1  # tried again at the next run, before the token dies
            continue
        if not new:
            continue
        merged = merge_credentials(creds, new)
        expires_at = _instant(new.get("expires_at"))
        Channel.objects.filter(pk=channel.pk).update(credentials=encrypt(merged), token_expires_at=expires_at,
                                                     expiry_alerts_sent=[])
        record(channel.authority, None, "channel.token_refreshed", channel,
               after={"expires_at": expires_at.isoformat() if expires_at else ""})
        counts["refreshed"] += 1
    return counts


def owner_emails(channel: Channel) -> list[str]:
    members = channel.authority.memberships.filter(
        Q(role=Role.DIRECTOR) | Q(role=Role.COMMUNITY_MANAGER)).select_related("user")
    return sorted({m.user.email for m in members if m.user.email})


def _one_line(text: str) -> str:
    return " ".join(str(text).split())  # a header with a line break would be refused by the mailer


def connect_url(channel: Channel) -> str:
    return settings.PUBLIC_URL + reverse("channel_connect", args=[channel.authority.slug, channel.pk])


def mark_reconnect(channel: Channel, reason: str = "") -> int:
    """Channel → "reconnect", owners told once (only the run that changes the status sends the mail)."""
    changed = Channel.objects.filter(pk=channel.pk).exclude(status=Channel.Status.RECONNECT).update(
        status=Channel.Status.RECONNECT)
    if not changed:
        return 0
    channel.status = Channel.Status.RECONNECT
    record(channel.authority, None, "channel.needs_reconnect", channel, after={"reason": reason[:500]})
    recipients = owner_emails(channel)
    if recipients:
        send_mail(
            subject=_one_line(f"[Parvis] Reconnexion nécessaire : {channel}"),
            message=(f"La connexion du compte {channel} ({channel.authority}) ne peut plus être renouvelée"
                     f"{' : ' + reason if reason else ''}.\n"
                     "Les publications prévues sont conservées et partiront dès la reconnexion.\n"
                     f"Reconnectez le compte ici : {connect_url(channel)}"),
            from_email=None, recipient_list=recipients, fail_silently=True,
        )
    return 1


def due_alert(expires_at: datetime, now: datetime, sent) -> str | None:
    """Which alert to send now ("7d", "1d") or None: the closest threshold crossed, if not sent yet."""
    remaining = expires_at - now
    if remaining <= timedelta(0):
        return None
    crossed = [key for key, delta in ALERTS if remaining <= delta]
    if not crossed or crossed[-1] in (sent or []):
        return None
    return crossed[-1]


ALERT_WORDS = {"7d": "7 jours", "1d": "1 jour"}


def expiry_alerts(now: datetime) -> int:
    """E-mail the owners of channels whose token cannot be renewed, 7 days and 1 day before it expires
    (each alert once per token); a token already expired turns the channel to "reconnect"."""
    sent_count = 0
    horizon = now + ALERTS[0][1]
    # A channel already marked "reconnect" was told so: no more mail for it.
    candidates = Channel.objects.filter(is_sandbox=False, status=Channel.Status.ACTIVE,
                                        token_expires_at__isnull=False, token_expires_at__lte=horizon)
    for channel in candidates.select_related("authority"):
        creds = _credentials(channel)
        if creds and can_refresh(channel, creds):
            continue
        if channel.token_expires_at <= now:
            mark_reconnect(channel, "le jeton a expiré")
            continue
        sent = list(channel.expiry_alerts_sent or [])
        key = due_alert(channel.token_expires_at, now, sent)
        if key is None:
            continue
        # Claim the alert first: two runs at once send it once.
        if not Channel.objects.filter(pk=channel.pk, expiry_alerts_sent=sent,
                                      token_expires_at=channel.token_expires_at).update(
                expiry_alerts_sent=[*sent, key]):
            continue
        recipients = owner_emails(channel)
        if recipients:
            when = timezone.localtime(channel.token_expires_at).strftime("%d/%m/%Y à %H:%M")
            send_mail(
                subject=_one_line(f"[Parvis] La connexion de {channel} expire dans {ALERT_WORDS[key]}"),
                message=(f"La connexion du compte {channel} ({channel.authority}) expire le {when}. "
                         f"{channel.network_label} ne permet pas à Parvis de la renouveler seul.\n"
                         "Après cette date, les publications de ce compte seront retenues jusqu'à la reconnexion.\n"
                         f"Reconnectez le compte dès maintenant : {connect_url(channel)}"),
                from_email=None, recipient_list=recipients, fail_silently=True,
            )
            sent_count += 1
    return sent_count
