"""The one interface every network connector implements.

A capability the network lacks is declared in `capabilities`; the UI never offers it.
"""

from abc import ABC, abstractmethod

from .types import Credentials, PostRequest, PostResult


class Connector(ABC):
    network: str = ""
    capabilities: frozenset[str] = frozenset({"publish", "lookup", "delete"})

    def __init__(self, credentials: Credentials, *, base_url: str | None = None, timeout: float = 20.0):
        self.credentials = credentials
        self.base_url = base_url
        self.timeout = timeout

    @abstractmethod
    def publish(self, post: PostRequest) -> PostResult:
        """Create the post. Raises a parvis.networks.errors.NetworkError subclass."""

    @abstractmethod
    def find_by_marker(self, marker: str) -> PostResult | None:
        """Look our own post up by the marker we sent, to reconcile an unconfirmed delivery."""

    def delete(self, remote_id: str) -> None:
        raise NotImplementedError(f"{self.network}: suppression non prise en charge")

    def close(self) -> None:  # noqa: B027 — optional hook, most connectors share pooled clients
        """Release pooled connections."""
