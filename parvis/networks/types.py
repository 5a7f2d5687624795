"""DTOs that cross the connector boundary. Plain, frozen, no ORM; text from networks is untrusted."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class MediaFile:
    path: str  # a local path the connector may read, or an URL for remote storage
    kind: str  # "image" | "video"
    mime_type: str
    alt_text: str = ""


@dataclass(frozen=True)
class PostRequest:
    text: str
    marker: str  # our idempotency key; connectors put it where a later lookup can find it
    link: str = ""
    media: tuple[MediaFile, ...] = ()
    reply_to: str = ""  # remote id of the post or comment this one answers
    thread: tuple[str, ...] = ()  # follow-up posts of a thread (networks with threads)
    first_comment: str = ""  # networks where a first comment is customary (Instagram, Facebook)
    options: dict = field(default_factory=dict)  # network-specific: visibility, spoiler_text, story...


@dataclass(frozen=True)
class PostResult:
    remote_id: str
    url: str


@dataclass(frozen=True)
class Credentials:
    """Decrypted credentials handed to a connector for one call; never logged."""

    handle: str
    data: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # secrets never reach a log line
        return f"Credentials(handle={self.handle!r}, data=<redacted>)"


@dataclass(frozen=True)
class RemoteComment:
    """A comment, reply or mention read from a network. Every string is untrusted input."""

    remote_id: str
    post_remote_id: str  # the authority's post it belongs to ("" for a mention outside our posts)
    author_id: str
    author_handle: str
    text: str
    created_at: datetime  # aware
    parent_remote_id: str = ""  # the comment it answers, for replies
    author_name: str = ""
    url: str = ""
    kind: str = "comment"  # "comment" | "reply" | "mention"
    hidden: bool = False


@dataclass(frozen=True)
class CommentPage:
    comments: tuple[RemoteComment, ...]
    cursor: str | None  # give it back to get what came after; None when the network gave none


@dataclass(frozen=True)
class MetricSet:
    """Figures as the network names them, mapped to Parvis names by the connector.

    A metric the network does not give is absent, never zero.
    """

    values: dict[str, float]
    collected_at: datetime
