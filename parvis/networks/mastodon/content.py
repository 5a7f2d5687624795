"""Status `content` (HTML rendered by the instance) to plain text. Pure; the input is untrusted."""

from __future__ import annotations

from html.parser import HTMLParser

_BREAKS = {"br"}
_BLOCKS = {"p", "div", "blockquote", "li", "pre"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._invisible = 0

    def handle_starttag(self, tag, attrs):
        if tag in _BREAKS:
            self.parts.append("\n")
        elif tag in _BLOCKS and self.parts and not "".join(self.parts).endswith("\n\n"):
            self.parts.append("\n\n")
        # Mastodon hides the scheme and the tail of long links in <span class="invisible">: keep them,
        # the full URL is what a moderator needs to read.
        if tag in ("script", "style"):
            self._invisible += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._invisible:
            self._invisible -= 1

    def handle_data(self, data):
        if not self._invisible:
            self.parts.append(data)


def html_to_text(content: str) -> str:
    """`<p>Bonjour<br>@<span>ada</span> &amp; co</p><p>Fin</p>` → "Bonjour\n@ada & co\n\nFin"."""
    if not content:
        return ""
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()
