"""The paper's text from the HTML full text its server gives (`Upstream.full_text`: arXiv's
rendering, arxiv.org/html/<id>v<n>), cut to a budget."""

from __future__ import annotations

from html.parser import HTMLParser

CHARS_PER_TOKEN = 4  # a rough, conservative rule for English prose

_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "svg", "math", "button", "form"}
_BLOCKS = {"p", "div", "section", "h1", "h2", "h3", "h4", "h5", "li", "br", "tr", "figcaption", "table"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def cut_to_tokens(text: str, tokens: int) -> str:
    limit = tokens * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut[-200:] else cut
