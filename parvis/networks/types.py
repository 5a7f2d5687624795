from dataclasses import dataclass, field


@dataclass(frozen=True)
class MediaFile:
    path: str  # a local path the connector may read
    kind: str  # "image" | "video"
    mime_type: str
    alt_text: str = ""


@dataclass(frozen=True)
class PostRequest:
    text: str
    marker: str  # our idempotency key; connectors put it where a later lookup can find it
    link: str = ""
    media: tuple[MediaFile, ...] = ()


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
