"""The one interface every network connector implements.

A capability the network lacks is declared by leaving it out of `capabilities`; the UI never offers it and
calling the method raises NotImplementedError. Connectors never touch the ORM: DTOs in, DTOs out, typed
errors (parvis.networks.errors) out.
"""

from abc import ABC, abstractmethod

from .types import CommentPage, Credentials, MetricSet, PostRequest, PostResult

# Every capability a connector may declare.
CAPABILITIES = frozenset({
    "publish", "lookup", "delete",  # posts
    "images", "video", "link", "thread", "first_comment", "reply",  # what a post may carry
    "comments", "hide_comment", "delete_comment",  # conversation
    "account_metrics", "post_metrics",  # figures
    "refresh",  # credentials that expire and can be renewed
})


class Connector(ABC):
    network: str = ""
    capabilities: frozenset[str] = frozenset({"publish", "lookup", "delete"})

    def __init__(self, credentials: Credentials, *, base_url: str | None = None, timeout: float = 20.0):
        self.credentials = credentials
        self.base_url = base_url
        self.timeout = timeout

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities

    def _unsupported(self, capability: str):
        raise NotImplementedError(f"{self.network} : « {capability} » n'est pas possible sur ce réseau")

    # --- posts ---

    @abstractmethod
    def publish(self, post: PostRequest) -> PostResult:
        """Create the post. Raises a parvis.networks.errors.NetworkError subclass."""

    @abstractmethod
    def find_by_marker(self, marker: str) -> PostResult | None:
        """Look our own post up by the marker we sent, to reconcile an unconfirmed delivery."""

    def delete(self, remote_id: str) -> None:
        self._unsupported("delete")

    # --- conversation ---

    def fetch_comments(self, *, cursor: str | None = None, post_ids: tuple[str, ...] = ()) -> CommentPage:
        """Comments, replies and mentions newer than `cursor` (on `post_ids` where the network needs them)."""
        self._unsupported("comments")

    def reply(self, to_remote_id: str, text: str, *, marker: str) -> PostResult:
        """Answer a comment (or a post) as the account."""
        self._unsupported("reply")

    def hide_comment(self, remote_id: str, *, hidden: bool = True, post_remote_id: str = "") -> None:
        self._unsupported("hide_comment")

    def delete_comment(self, remote_id: str) -> None:
        self._unsupported("delete_comment")

    # --- figures ---

    def account_metrics(self) -> MetricSet:
        self._unsupported("account_metrics")

    def post_metrics(self, remote_id: str) -> MetricSet:
        self._unsupported("post_metrics")

    # --- credentials ---

    def refresh_credentials(self) -> dict | None:
        """New credential data to store (never an empty refresh token over a stored one), or None."""
        self._unsupported("refresh")

    def close(self) -> None:  # noqa: B027 — optional hook, most connectors share pooled clients
        """Release pooled connections."""
