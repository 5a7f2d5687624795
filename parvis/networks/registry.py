"""Which connector serves which network: a plain dict.

Real connectors register under their network identifier ("mastodon", "bluesky", ...); the sandbox, which
stands in for any network, under "sandbox".
"""

from __future__ import annotations

from .base import Connector
from .sandbox.connector import SandboxConnector
from .sandbox.server import LABELS, NETWORKS
from .types import Credentials

CONNECTORS: dict[str, type[Connector]] = {
    "sandbox": SandboxConnector,
}


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
    connector_class = CONNECTORS.get(network)
    if connector_class is None:
        raise NotImplementedError(
            f"La publication réelle sur {LABELS[network]} n'est pas encore disponible dans Parvis : "
            "utilisez un compte de simulation (sandbox) pour ce réseau."
        )
    return connector_class(credentials, base_url=base_url, timeout=timeout)
