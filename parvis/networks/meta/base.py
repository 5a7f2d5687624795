"""What the Facebook and Instagram connectors share: the Graph client, the marker journal, the comment cursor."""

from __future__ import annotations

import logging
from datetime import datetime

from .. import errors
from ..base import Connector
from ..types import Credentials, PostResult
from . import markers
from .graph import Graph, graph_version, parse_time, utcnow

log = logging.getLogger("parvis.networks.meta")


class MetaConnector(Connector):
    account_field = ""  # the credentials.data key holding the Page id / Instagram user id
    default_base_url = ""

    def __init__(self, credentials: Credentials, *, base_url: str | None = None, timeout: float = 20.0):
        super().__init__(credentials, base_url=(base_url or self._default_host(credentials)).rstrip("/"),
                         timeout=timeout)
        data = credentials.data or {}
        self.account_id = str(data.get(self.account_field) or "")
        self.graph = Graph(
            network=self.network, token=str(data.get("access_token") or ""), base_url=self.base_url,
            version=graph_version(data), app_secret=str(data.get("app_secret") or ""), timeout=timeout,
        )

    def _default_host(self, credentials: Credentials) -> str:
        return self.default_base_url

    def _account(self) -> str:
        if not self.account_id:
            raise errors.AuthExpired(
                f"Le compte {self.network} n'a pas d'identifiant « {self.account_field} » : reconnectez-le."
            )
        return self.account_id

    # --- the marker journal (see markers.py for why) ---

    @property
    def journal_key(self) -> str:
        return f"{self.network}:{self.account_id}"

    def _remember(self, marker: str, text: str) -> None:
        try:
            markers.journal.remember(self.journal_key, marker, text, utcnow())
        except Exception as exc:  # noqa: BLE001 — a journal failure must not stop a publication
            log.warning("marker journal unavailable: %s", exc)

    def _confirm(self, marker: str, remote_id: str) -> None:
        try:
            markers.journal.confirm(self.journal_key, marker, remote_id)
        except Exception as exc:  # noqa: BLE001
            log.warning("marker journal unavailable: %s", exc)

    def _sent(self, marker: str, text: str | None, sent_at: datetime | None) -> markers.Sent | None:
        if text is not None and sent_at is not None:
            return markers.Sent(marker, text, sent_at)
        return markers.journal.recall(self.journal_key, marker)

    def _find(self, marker: str, sent: markers.Sent | None,
              candidates: list[markers.Candidate]) -> PostResult | None:
        if sent is None:
            return None
        claimed = markers.journal.claimed(self.journal_key, except_marker=marker)
        found = markers.pick(candidates, sent, claimed=claimed)
        return PostResult(found.remote_id, found.url) if found else None

    # --- comment cursor: the newest instant seen, ISO 8601 ---

    @staticmethod
    def _since(cursor: str | None) -> datetime | None:
        return parse_time(cursor) if cursor else None

    @staticmethod
    def _next_cursor(cursor: str | None, comments) -> str | None:
        newest = max((c.created_at for c in comments), default=None)
        since = parse_time(cursor) if cursor else None
        if newest is None or (since is not None and newest <= since):
            return cursor
        return newest.isoformat()

    def _first_comment(self, remote_id: str, text: str, marker: str) -> None:
        """The post exists already: a failed first comment is logged, never turned into a failed delivery."""
        try:
            self.reply(remote_id, text, marker=f"{marker}:first-comment")
        except errors.NetworkError as exc:
            log.warning("%s first comment on %s failed: %s", self.network, remote_id, exc.detail)

    def delete_comment(self, remote_id: str) -> None:
        self.graph.delete(remote_id)
