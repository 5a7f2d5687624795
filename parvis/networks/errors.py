"""Typed errors every connector maps its network's real error codes to.

The ledger's policy (parvis.publishing.dispatch) decides what each one means for a delivery.
"""

from datetime import datetime


class NetworkError(Exception):
    code = "network_error"

    def __init__(self, message: str = "", *, detail: str = ""):
        super().__init__(message or self.code)
        self.detail = detail or message


class RateLimited(NetworkError):
    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_at: datetime | None = None, retry_after_s: float | None = None, detail: str = ""):
        super().__init__(message, detail=detail)
        self.retry_at = retry_at
        self.retry_after_s = retry_after_s


class AuthExpired(NetworkError):
    code = "auth_expired"


class ContentRejected(NetworkError):
    code = "content_rejected"


class Duplicate(NetworkError):
    """The network says it already has this post: reconcile, never re-send."""

    code = "duplicate"


class Transient(NetworkError):
    """5xx and the like, before the network accepted anything."""

    code = "transient"


class OutcomeUnknown(NetworkError):
    """The request may have reached the network (timeout after sending, connection cut)."""

    code = "outcome_unknown"


class Permanent(NetworkError):
    code = "permanent"
