"""Which connector serves which network: a plain dict.

Real connectors register under their network identifier ("mastodon", "bluesky", ...); the sandbox, which
stands in for any network, under "sandbox".
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from .base import Connector
from .sandbox.connector import SandboxConnector
from .sandbox.server import LABELS, NETWORKS
from .types import Credentials

# Dotted paths, imported on first use: a network's SDK is loaded only by the processes that talk to it.
CONNECTORS: dict[str, str | type[Connector]] = {
    "sandbox": SandboxConnector,
    "mastodon": "parvis.networks.mastodon.connector.MastodonConnector",
    "bluesky": "parvis.networks.bluesky.connector.BlueskyConnector",
    "facebook": "parvis.networks.facebook.connector.FacebookConnector",
    "instagram": "parvis.networks.instagram.connector.InstagramConnector",
}


def connector_class(network: str) -> type[Connector] | None:
    entry = CONNECTORS.get(network)
    if isinstance(entry, str):
        try:
            entry = CONNECTORS[network] = import_string(entry)
        except ImportError:
            return None
    return entry


def get_connector(network: str, credentials: Credentials, *, sandbox: bool, base_url: str | None = None,
                  timeout: float = 20.0) -> Connector:
    """The connector for one call on `network` with these credentials.

    `sandbox=True` sends to the simulated network whatever the real one is.
    """
    network = str(network)
    if network not in NETWORKS:
        raise ValueError(f"Réseau inconnu : « {network} ».")
    if sandbox:
        return CONNECTORS["sandbox"](network, credentials, base_url=base_url, timeout=timeout)
    cls = connector_class(network)
    if cls is None:
        raise NotImplementedError(
            f"La publication réelle sur {LABELS[network]} n'est pas encore disponible dans Parvis : "
            "utilisez un compte de simulation (sandbox) pour ce réseau."
        )
    return cls(credentials, base_url=base_url, timeout=timeout)
