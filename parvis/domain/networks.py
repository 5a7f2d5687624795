"""The ten networks Parvis knows, by their stable identifiers."""

from enum import StrEnum


class Network(StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    THREADS = "threads"
    LINKEDIN = "linkedin"
    X = "x"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    SNAPCHAT = "snapchat"


NETWORK_LABELS = {
    Network.FACEBOOK: "Facebook",
    Network.INSTAGRAM: "Instagram",
    Network.THREADS: "Threads",
    Network.LINKEDIN: "LinkedIn",
    Network.X: "X",
    Network.TIKTOK: "TikTok",
    Network.YOUTUBE: "YouTube",
    Network.MASTODON: "Mastodon",
    Network.BLUESKY: "Bluesky",
    Network.SNAPCHAT: "Snapchat",
}
