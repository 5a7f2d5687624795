"""The connector for the sandbox network: the same interface and typed errors as a real network."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from .. import errors
from ..base import Connector
from ..http import SharedClients, make_timeout, network_slot, request_with_retry, retry_after_seconds
from ..types import CommentPage, Credentials, MetricSet, PostRequest, PostResult, RemoteComment
from .server import NETWORKS

DEFAULT_URL = "http://127.0.0.1:8765"
# The dispatcher publishes from up to 64 threads, lookups run beside them: 8 pools of up to 32 connections.
_clients = SharedClients(shards=int(os.environ.get("PARVIS_HTTP_SHARDS", "8")), max_connections_per_shard=32)


def shared_client() -> httpx.Client:
    """The calling thread's pooled client (shared with other threads, thread-safe, rebuilt after a fork)."""
    return _clients.get()


def sandbox_url() -> str:
    return (os.environ.get("PARVIS_SANDBOX_URL") or DEFAULT_URL).rstrip("/")


class SandboxConnector(Connector):
    """Publishes to the sandbox server as if it were `network`.

    The token is `credentials.data["access_token"]` (a channel without one uses a harmless default); a token
    starting with "revoked" makes the sandbox answer like a revoked account.

    The conversation (comments, replies, hiding, deleting) and the figures are simulated by the server; see
    parvis.networks.sandbox.server.
    """

    capabilities = frozenset({
        "publish", "lookup", "delete", "comments", "reply", "hide_comment", "delete_comment",
        "account_metrics", "post_metrics",
    })
    page_size = 100

    def __init__(self, network: str, credentials: Credentials, *, base_url: str | None = None,
                 timeout: float = 20.0):
        if network not in NETWORKS:
            raise ValueError(f"Réseau inconnu : « {network} ».")
        super().__init__(credentials, base_url=(base_url or sandbox_url()).rstrip("/"), timeout=timeout)
        self.network = network

    # --- plumbing ---

    def _headers(self) -> dict:
        data = self.credentials.data or {}
        token = data.get("access_token") or data.get("token") or f"sandbox-{self.credentials.handle}"
        return {"Authorization": f"Bearer {token}"}

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{self.network}{path}"

    @staticmethod
    def _error_body(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            return {}
        error = body.get("error") if isinstance(body, dict) else None
        return error if isinstance(error, dict) else {}

    def _raise_for(self, response: httpx.Response) -> None:
        """Map a non-success answer to the typed error the ledger understands."""
        status = response.status_code
        error = self._error_body(response)
        words = error.get("message") or response.reason_phrase or str(status)
        detail = f"{self.network} (simulation) HTTP {status}: {words}"
        if status == 429:
            now = datetime.now(UTC)
            wait = retry_after_seconds(response, now)
            raise errors.RateLimited(
                words, retry_after_s=wait, retry_at=now + timedelta(seconds=wait) if wait is not None else None,
                detail=detail,
            )
        if status == 401:
            raise errors.AuthExpired(words, detail=detail)
        if status == 422:
            raise errors.ContentRejected(words, detail=words)
        if status == 409:
            exc = errors.Duplicate(words, detail=detail)
            exc.remote_id = str(error.get("id", ""))
            exc.url = str(error.get("url", ""))
            raise exc
        if status >= 500:
            raise errors.Transient(words, detail=detail)
        raise errors.Permanent(words, detail=detail)

    # --- the interface ---

    def publish(self, post: PostRequest) -> PostResult:
        payload = {
            "handle": self.credentials.handle,
            "text": post.text,
            "marker": post.marker,
            "link": post.link,
            "media": [{"kind": m.kind, "mime_type": m.mime_type, "alt_text": m.alt_text} for m in post.media],
        }
        try:
            with network_slot("sandbox"):
                response = shared_client().post(
                    self._url("/posts"), json=payload, headers=self._headers(), timeout=make_timeout(self.timeout)
                )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing left this machine: safe to try again later.
            raise errors.Transient("sandbox injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            # Read timeout, connection cut mid-answer: the post may exist. Reconcile, never re-send blindly.
            raise errors.OutcomeUnknown("réponse non reçue", detail=f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in (200, 201):
            try:
                body = response.json()
                return PostResult(remote_id=str(body["id"]), url=str(body["url"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise errors.OutcomeUnknown("réponse illisible", detail=response.text[:500]) from exc
        self._raise_for(response)
        raise AssertionError("unreachable")

    def find_by_marker(self, marker: str) -> PostResult | None:
        response = self._get(self._url("/posts"), params={"marker": marker, "handle": self.credentials.handle})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self._raise_for(response)
        body = response.json()
        return PostResult(remote_id=str(body["id"]), url=str(body["url"]))

    def delete(self, remote_id: str) -> None:
        try:
            with network_slot("sandbox"):
                response = shared_client().delete(
                    self._url(f"/posts/{quote(remote_id, safe='')}"), headers=self._headers(),
                    timeout=make_timeout(self.timeout),
                )
        except httpx.TransportError as exc:
            raise errors.Transient("sandbox injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            return  # already gone: deleting is idempotent
        if response.status_code != 200:
            self._raise_for(response)

    # --- conversation ---

    def fetch_comments(self, *, cursor: str | None = None, post_ids: tuple[str, ...] = ()) -> CommentPage:
        params = {"handle": self.credentials.handle, "limit": str(self.page_size)}
        if cursor:
            params["cursor"] = cursor
        if post_ids:
            params["post_ids"] = ",".join(post_ids)
        response = self._get(self._url("/comments"), params=params)
        if response.status_code != 200:
            self._raise_for(response)
        try:
            body = response.json()
            comments = tuple(self._comment(item) for item in body["comments"])
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.Transient("réponse illisible", detail=response.text[:500]) from exc
        return CommentPage(comments=comments, cursor=body.get("cursor") or None)

    @staticmethod
    def _comment(item: dict) -> RemoteComment:
        author = item.get("author") or {}
        return RemoteComment(
            remote_id=str(item["id"]), post_remote_id=str(item.get("post_id") or ""),
            author_id=str(author.get("id") or ""), author_handle=str(author.get("handle") or ""),
            author_name=str(author.get("name") or ""), text=str(item.get("text") or ""),
            created_at=datetime.fromisoformat(item["created_at"]),
            parent_remote_id=str(item.get("parent_id") or ""), url=str(item.get("url") or ""),
            kind=str(item.get("kind") or "comment"), hidden=bool(item.get("hidden")),
        )

    def reply(self, to_remote_id: str, text: str, *, marker: str) -> PostResult:
        response = self._send("POST", self._url(f"/comments/{quote(to_remote_id, safe='')}/replies"),
                              json={"handle": self.credentials.handle, "text": text, "marker": marker},
                              idempotent=False)
        if response.status_code in (200, 201):
            try:
                body = response.json()
                return PostResult(remote_id=str(body["id"]), url=str(body["url"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise errors.OutcomeUnknown("réponse illisible", detail=response.text[:500]) from exc
        self._raise_for(response)
        raise AssertionError("unreachable")

    def hide_comment(self, remote_id: str, *, hidden: bool = True, post_remote_id: str = "") -> None:
        response = self._send("POST", self._url(f"/comments/{quote(remote_id, safe='')}/hide"),
                              json={"hidden": hidden})
        if response.status_code != 200:
            self._raise_for(response)

    def delete_comment(self, remote_id: str) -> None:
        response = self._send("DELETE", self._url(f"/comments/{quote(remote_id, safe='')}"))
        if response.status_code == 404:
            return  # already gone: deleting is idempotent
        if response.status_code != 200:
            self._raise_for(response)

    # --- figures ---

    def account_metrics(self) -> MetricSet:
        response = self._get(self._url(f"/accounts/{quote(self.credentials.handle, safe='')}/metrics"))
        return self._metrics(response)

    def post_metrics(self, remote_id: str) -> MetricSet:
        return self._metrics(self._get(self._url(f"/posts/{quote(remote_id, safe='')}/metrics")))

    def _metrics(self, response: httpx.Response) -> MetricSet:
        if response.status_code != 200:
            self._raise_for(response)
        try:
            values = {str(k): float(v) for k, v in response.json()["metrics"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise errors.Transient("réponse illisible", detail=response.text[:500]) from exc
        return MetricSet(values=values, collected_at=datetime.now(UTC))

    def _send(self, method: str, url: str, *, idempotent: bool = True, **kwargs) -> httpx.Response:
        """One write. A cut after sending is transient when repeating it is harmless (hide, delete), and an
        unknown outcome when it could create a second object (a reply)."""
        try:
            with network_slot("sandbox"):
                return shared_client().request(method, url, headers=self._headers(),
                                               timeout=make_timeout(self.timeout), **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise errors.Transient("sandbox injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            if idempotent:
                raise errors.Transient("sandbox injoignable", detail=f"{type(exc).__name__}: {exc}") from exc
            raise errors.OutcomeUnknown("réponse non reçue", detail=f"{type(exc).__name__}: {exc}") from exc

    def _get(self, url: str, **kwargs) -> httpx.Response:
        try:
            with network_slot("sandbox"):
                return request_with_retry(shared_client(), "GET", url, attempts=2, headers=self._headers(),
                                          timeout=make_timeout(self.timeout), **kwargs)
        except httpx.TransportError as exc:  # a lookup changes nothing: any failure is transient
            raise errors.Transient("sandbox injoignable", detail=f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        """The pooled client is shared by the process: nothing to release per connector."""
