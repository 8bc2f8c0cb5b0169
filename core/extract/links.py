"""Code and project links in a paper's comment and abstract.

A link counts when its host hosts code, models or data (GitHub, GitLab, Hugging Face,
`*.github.io` pages, anonymous.4open.science...) or when the words just before it call it the
code, project page, website or demo ("Project page: https://..."). Papers, DOIs, reviews, videos
and challenge pages are not code. Links are cleaned of the punctuation and TeX around them
(`\\href{...}{...}`, a final full stop) and given a scheme when written without one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'{}\\]+"
    r"|(?<![\w@/.-])(?:github\.com|gitlab\.com|huggingface\.co|hf\.co|[\w-]+\.github\.io|[\w-]+\.gitlab\.io)(?:/[^\s<>\"'{}\\]*)?",
    re.IGNORECASE)
_CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co", "hf.co", "bitbucket.org", "codeberg.org",
               "anonymous.4open.science", "sourceforge.net", "colab.research.google.com", "kaggle.com")
_CODE_SUFFIXES = (".github.io", ".gitlab.io", ".hf.space")
_NEVER = ("doi.org", "arxiv.org", "openreview.net", "youtube.com", "youtu.be", "link.springer.com", "springer.com",
          "sciencedirect.com", "elsevier.com", "ieeexplore.ieee.org", "dl.acm.org", "aclanthology.org", "twitter.com",
          "x.com", "zenodo.org", "pypi.org", "creativecommons.org", "bilibili.com", "vimeo.com")
_CALLED = re.compile(
    r"\b(?:code|codes|project|website|webpage|web\s+page|home\s*page|page|demo|repository|repo|implementation|"
    r"models?|data(?:set)?s?|software|available|release[sd]?|see)\b[^.;]{0,40}$",
    re.IGNORECASE)
_NOT_OURS = re.compile(r"\b(?:challenge|competition|workshop|ntire|leaderboard|video|slides|supplementary|reviews?)\b[^.;]{0,30}$",
                       re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"$*"


def code_links(*texts: str | None) -> list[str]:
    """The code and project links in `texts` (comment, abstract), each once, in order."""
    found: list[str] = []
    for text in texts:
        if not text or ("http" not in text and "." not in text):
            continue
        for match in _URL.finditer(text):
            url = _clean(match.group())
            if url is None:
                continue
            host = urlsplit(url).hostname or ""
            if _is_code_host(host) or (not _never(host) and _called(text[: match.start()])):
                if url not in found:
                    found.append(url)
    return found


def _clean(raw: str) -> str | None:
    url = raw
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    if not re.match(r"https?://", url, re.IGNORECASE):
        url = "https://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if "." not in host:
        return None
    path = parts.path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    if host in ("github.com", "gitlab.com", "huggingface.co") and path.count("/") < 1:
        return None  # the site itself, not a repository
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{host}{path}{query}"


def _is_code_host(host: str) -> bool:
    return host.removeprefix("www.") in _CODE_HOSTS or host.endswith(_CODE_SUFFIXES)


def _never(host: str) -> bool:
    host = host.removeprefix("www.")
    return any(host == h or host.endswith("." + h) for h in _NEVER)


def _called(before: str) -> bool:
    """The words just before a link on another host call it code or a project page."""
    window = before[-60:]
    return bool(_CALLED.search(window)) and not _NOT_OURS.search(window)
