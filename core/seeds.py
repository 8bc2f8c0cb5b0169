"""Seed papers for `like=` / `unlike=` / `like_author=`: validated ids, metadata from arXiv's
query API (ids: `ArxivUpstream.lookup`) or its public author feeds (an author identifier or
ORCID iD: `ArxivUpstream.author_feed`); a bioRxiv or medRxiv DOI from the DOI endpoint of the
sources whose id syntax fits it (`Upstream.lookup`, bioRxiv first), stored under the same keys
and lifetimes as arXiv's.

All seeds missing from the store are fetched in ONE `id_list` request and stored per id and
version (`seed:v1:{id}v{n}`, for 30 days after it was last fetched: a version's abstract never
changes, and a seed nobody asks for any more leaves the store), so a seed is fetched about once a
month per deployment. A versionless id is also stored under `seed:v1:{id}` for a week (a newer
version may appear); an unknown id is remembered for an hour. What is stored is bounded: title,
abstract, authors and comment are cut to sane lengths (arXiv's own abstracts stay under 1,920
characters), so a hostile answer of 750 KB abstracts costs neither the store nor a ranking more
than a real one. The answer is parsed (by the upstream), and stored seeds decoded, on the worker
thread (core.runtime.worker). Unknown or withdrawn ids are the caller's mistake (400, naming
them); arXiv unreachable with a seed not stored is a 503 with Retry-After. An author's papers
(`like_author=`: arxiv.org/a/{id}.atom, the 20 most recent) are stored as one list for a week
(`author:v1:{id}`); an identifier arXiv does not know (404 or no papers) is a 400, remembered
for an hour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from core.runtime.worker import off_loop
from core.errors import MalformedAnswer, ParseError, SeedError, SeedsUnavailable, UpstreamError
from core.papers import Paper
from core.sources import DEFAULT
from core.sources.arxiv.ids import is_id
from core.sources.biorxiv import ids as rxiv_ids

if TYPE_CHECKING:
    from core.sources.arxiv import ArxivUpstream
    from core.sources.base import Upstream

MAX_SEEDS = 20
SEED_TTL = 30 * 86400  # a seed version nobody asked for in 30 days is fetched again if asked
LATEST_TTL = 7 * 86400
MAX_TITLE = 1_000  # characters kept of a seed's title
MAX_ABSTRACT = 4_000  # ... of its abstract (arXiv's limit is 1,920)
SEED_MAX_CHARS = MAX_TITLE + MAX_ABSTRACT  # title and abstract of a stored seed, at most (core.ranking.cost)
MAX_AUTHORS = 100  # names kept (a collaboration's thousands say nothing about similarity)
MAX_FIELD = 300  # characters kept of a name, comment, journal reference or DOI
UNKNOWN_TTL = 3600  # an id arXiv did not know is not asked about again for an hour
_PREFIX_RE = re.compile(r"^(?:https?://arxiv\.org/(?:abs|pdf)/|arxiv:)", re.IGNORECASE)
_DOI_URL_RE = re.compile(r"^https?://(?:(?:www\.)?(?:bio|med)rxiv\.org/content/|(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI_SUFFIX_RE = re.compile(r"(?:\.full(?:\.pdf)?|\.abstract)?(?:[?#].*)?$", re.IGNORECASE)


def doi_ref(value: str) -> str | None:
    """A bioRxiv/medRxiv DOI seed in its stored spelling (`10.1101/2024.05.08.593085`, `...v2`),
    from the DOI itself (`doi:` allowed), its doi.org URL or a page or PDF of the servers; None
    for anything else."""
    rest = _DOI_URL_RE.sub("", value.strip())
    rest = _DOI_SUFFIX_RE.sub("", rest) if rest != value.strip() else rest
    if not rxiv_ids.is_id(rest):
        return None
    doi, version = rxiv_ids.split_ref(rest)
    return f"{doi}v{version}" if version else doi


def is_doi(ref: str) -> bool:
    """Whether a checked seed is a DOI (looked up on bioRxiv and medRxiv), not an arXiv id."""
    return ref.startswith("10.")


def check_ids(values: Iterable[str], name: str = "like") -> list[str]:
    """`2401.12345`, `2312.00001v2`, `hep-th/9901001` (an `arXiv:` prefix or abs URL is fine) or a
    bioRxiv/medRxiv DOI (`10.1101/2024.05.08.593085`, a version, doi.org or a page URL fine):
    duplicates removed, at most 20, a clear message for anything else."""
    ids: list[str] = []
    for value in values:
        ref = _PREFIX_RE.sub("", value.strip())
        if not is_id(ref):
            ref = doi_ref(value)  # type: ignore[assignment]
            if ref is None:
                raise ValueError(f"{value!r} is not an arXiv id (like 2401.12345, 2312.00001v2 or hep-th/9901001) "
                                 "or a bioRxiv/medRxiv DOI (like 10.1101/2024.05.08.593085)")
        if ref not in ids:
            ids.append(ref)
    if len(ids) > MAX_SEEDS:
        raise ValueError(f"at most {MAX_SEEDS} papers in {name}")
    return ids


# An arXiv author identifier (surname_initial_n, as arxiv.org/a/ shows it: morrison_d_1) or an
# ORCID iD (0000-0001-6286-1277, optionally as its https://orcid.org/ URL).
_AUTHOR_RE = re.compile(r"^[a-z][a-z0-9'.-]*(?:_[a-z0-9'.-]+)*_\d+$")
_ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_ORCID_PREFIX_RE = re.compile(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)
MAX_AUTHOR_SEEDS = 20  # an author's most recent papers used as seeds
AUTHOR_TTL = 7 * 86400  # an author's list of papers is fetched again after a week (new papers)


def _orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, the check digit of every ORCID iD."""
    total = 0
    for digit in orcid.replace("-", "")[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    return orcid[-1] == ("X" if check == 10 else str(check))


def check_author(value: str) -> str:
    """An arXiv author identifier (`morrison_d_1`) or ORCID iD (`0000-0001-6286-1277`, or its
    orcid.org URL), normalised; a clear message for anything else. An identifier, not a name:
    names collide."""
    raw = value.strip()
    orcid = _ORCID_PREFIX_RE.sub("", raw).upper()
    if _ORCID_RE.match(orcid):
        if not _orcid_checksum_ok(orcid):
            raise ValueError(f"{value!r} is not a valid ORCID iD (its check digit is wrong)")
        return orcid
    author = re.sub(r"^(?:https?://)?arxiv\.org/a/", "", raw, flags=re.IGNORECASE).removesuffix(".html").lower()
    if not _AUTHOR_RE.match(author):
        raise ValueError(f"{value!r} is not an arXiv author identifier (like morrison_d_1, from arxiv.org/a/) "
                         "or an ORCID iD (like 0000-0001-6286-1277)")
    return author


def split_ref(ref: str) -> tuple[str, int | None]:
    match = re.match(r"^(.*?)(?:v(\d+))?$", ref)
    assert match is not None
    return match.group(1), int(match.group(2)) if match.group(2) else None


def _withdrawn(paper: Paper) -> bool:
    text = f"{paper.comment or ''} {paper.abstract[:200]}".lower()
    return "withdrawn" in text and len(paper.abstract) < 400


class SeedStore:
    def __init__(self, kv, upstreams: Mapping[str, Upstream]):
        self.kv = kv
        self.upstreams = upstreams  # every source's: DOIs looked up where the id syntax fits
        # arXiv's: ids through its query API (`lookup`), authors through its feeds (`author_feed`)
        self.arxiv = cast("ArxivUpstream", upstreams[DEFAULT])

    async def papers(self, refs: Sequence[str]) -> list[Paper]:
        """The seed papers, in the order asked, from the store or (all missing arXiv ids at once)
        arXiv, DOIs from bioRxiv or medRxiv (`_lookup`); stored alike (`seed:v1:{ref}`)."""
        stored: dict[str, bytes] = {}
        missing = []
        for ref in refs:
            raw = await self.kv.get(f"seed:v1:{ref}")
            if raw is not None:
                stored[ref] = raw
            else:
                missing.append(ref)
        found: dict[str, Paper] = await off_loop(_decode, stored) if stored else {}
        unknown = [ref for ref in missing if await self.kv.get(f"seed:v1:{ref}:unknown") is not None]
        if unknown:
            who = "bioRxiv and medRxiv do not know" if all(map(is_doi, unknown)) else "arXiv does not know"
            raise SeedError(f"like/unlike: {who} {', '.join(unknown)}; check the ids (and versions)")
        if arxiv := [ref for ref in missing if not is_doi(ref)]:
            found.update(await self._fetch_known(arxiv))
        if dois := [ref for ref in missing if is_doi(ref)]:
            found.update(await self._keep(dois, await self._lookup(dois), "bioRxiv and medRxiv do not know"))
        return [found[ref] for ref in refs]

    async def _lookup(self, refs: list[str]) -> dict[str, Paper]:
        """Each DOI on the first server whose id syntax fits and that knows it (`Upstream.lookup`,
        one request a DOI and server: a medRxiv DOI asks bioRxiv first). A server that fails is
        a 503, nothing counted unknown."""
        got: dict[str, Paper] = {}
        for ref in refs:
            for upstream in self.upstreams.values():
                if upstream.source.name == DEFAULT or not upstream.source.ids.matches(ref):
                    continue
                try:
                    found = await upstream.lookup([ref])
                except (UpstreamError, ParseError) as exc:
                    retry = max(5, math.ceil(exc.retry_after)) if getattr(exc, "retry_after", None) else 300
                    raise SeedsUnavailable(f"like: {upstream.source.label}'s API could not be reached for {ref} ({exc})",
                                           retry_after=retry) from None
                if found:
                    got[ref] = bounded(found[0])
                    break
        return got

    async def author_papers(self, author: str) -> list[Paper]:
        """The author's MAX_AUTHOR_SEEDS most recent papers (a checked identifier), from the store
        or, once a week, from arXiv's author feed. Unknown to arXiv (404, or a feed without
        papers): a SeedError, remembered for an hour. Unreachable with nothing stored: 503."""
        from pydantic import TypeAdapter

        papers = TypeAdapter(list[Paper])
        raw = await self.kv.get(f"author:v1:{author}")
        if raw is not None:
            return await off_loop(papers.validate_json, raw)
        if await self.kv.get(f"author:v1:{author}:unknown") is not None:
            raise SeedError(f"like_author: arXiv knows no author {author}; check the identifier (arxiv.org/a/{author})")
        try:
            found = await self.arxiv.author_feed(author)
        except UpstreamError as exc:
            if exc.status not in (400, 404, 410):
                raise SeedsUnavailable(f"like_author: arXiv's author feed could not be reached for {author} ({exc})") from None
            found = []
        except ParseError as exc:
            raise SeedsUnavailable(f"like_author: arXiv's author feed for {author} was unreadable ({exc})") from None
        if not found:
            await self.kv.set(f"author:v1:{author}:unknown", b"1", ttl=UNKNOWN_TTL)
            raise SeedError(f"like_author: arXiv knows no author {author}; check the identifier (arxiv.org/a/{author})")
        latest = {}
        for paper in sorted(found, key=lambda p: (p.announced, p.id), reverse=True):
            latest.setdefault(paper.id, paper)
        chosen = [bounded(p) for p in latest.values() if not _withdrawn(p)][:MAX_AUTHOR_SEEDS]
        await self.kv.set(f"author:v1:{author}", papers.dump_json(chosen), ttl=AUTHOR_TTL)
        return chosen

    async def _fetch(self, refs: list[str]) -> dict[str, Paper]:
        """One `id_list` request: each paper under `id` + `v` + version, and under its
        versionless id as the newest version in the answer (`like=Y,Yv1` gives both). A cut or
        damaged answer says nothing about the ids missing from it: 503, asked again."""
        try:
            papers = await self._answer(refs)
        except MalformedAnswer as exc:
            raise SeedsUnavailable(f"like: arXiv's answer for {', '.join(refs)} was cut or damaged "
                                   f"({exc.flaw})", retry_after=30) from None
        except (UpstreamError, ParseError) as exc:
            retry = max(5, math.ceil(exc.retry_after)) if getattr(exc, "retry_after", None) else 300
            raise SeedsUnavailable(f"like: arXiv's query API could not be reached for {', '.join(refs)} ({exc})",
                                   retry_after=retry) from None
        got = {}
        for paper in map(bounded, papers):
            got[f"{paper.id}v{paper.version}"] = paper
            if paper.id not in got or paper.version > got[paper.id].version:
                got[paper.id] = paper
        return got

    async def _fetch_known(self, refs: list[str]) -> dict[str, Paper]:
        """The seeds from arXiv, stored. The API answers nothing now and then: an id missing
        from one answer is asked once more before it counts as unknown (400, remembered)."""
        got = await self._fetch(refs)
        if empty := [ref for ref in refs if ref not in got]:
            got.update(await self._fetch(empty))
        return await self._keep(refs, got, "arXiv does not know")

    async def _keep(self, refs: list[str], got: dict[str, Paper], unknown_to: str) -> dict[str, Paper]:
        """The fetched seeds checked (unknown and withdrawn ones a 400) and stored, each version
        for SEED_TTL and a versionless ref as the newest for LATEST_TTL."""
        unknown = [ref for ref in refs if ref not in got]
        for ref in unknown:  # a bad id must not cost a server a request every time it is asked for
            await self.kv.set(f"seed:v1:{ref}:unknown", b"1", ttl=UNKNOWN_TTL)
        if unknown:
            raise SeedError(f"like/unlike: {unknown_to} {', '.join(unknown)}; check the ids (and versions)")
        withdrawn = [ref for ref in refs if _withdrawn(got[ref])]
        if withdrawn:
            raise SeedError(f"like/unlike: {', '.join(withdrawn)} {'is' if len(withdrawn) == 1 else 'are'} withdrawn; pick other papers")
        result = {}
        for ref in refs:
            paper = got[ref]
            body = paper.model_dump_json().encode()
            await self.kv.set(f"seed:v1:{paper.id}v{paper.version}", body, ttl=SEED_TTL)
            if split_ref(ref)[1] is None:
                await self.kv.set(f"seed:v1:{ref}", body, ttl=LATEST_TTL)
            result[ref] = paper
        return result

    async def _answer(self, refs: list[str]) -> list[Paper]:
        """arXiv's entries for `refs`; its own refusal of a malformed id (HTTP 400) is a `SeedError`."""
        try:
            return await self.arxiv.lookup(refs)
        except UpstreamError as exc:
            if exc.status != 400:
                raise
            if len(refs) == 1:  # which id it refused is known only when one was asked
                await self.kv.set(f"seed:v1:{refs[0]}:unknown", b"1", ttl=UNKNOWN_TTL)
            raise SeedError(f"like/unlike: arXiv refused {', '.join(refs)} as malformed; check the ids") from None


def bounded(paper: Paper) -> Paper:
    """The seed as stored: its fields cut to the lengths above (most papers: unchanged)."""
    def cut(text: str | None, limit: int = MAX_FIELD) -> str | None:
        return text if text is None or len(text) <= limit else text[:limit]

    changes = {
        "title": cut(paper.title, MAX_TITLE), "abstract": cut(paper.abstract, MAX_ABSTRACT),
        "authors": [cut(name) for name in paper.authors[:MAX_AUTHORS]], "comment": cut(paper.comment),
        "journal_ref": cut(paper.journal_ref), "doi": cut(paper.doi),
    }
    if all(changes[k] == getattr(paper, k) for k in changes):
        return paper
    return paper.model_copy(update=changes)


def _decode(stored: dict[str, bytes]) -> dict[str, Paper]:
    """Stored seeds (bounded again: a seed stored before the bounds were)."""
    return {ref: bounded(Paper.model_validate_json(raw)) for ref, raw in stored.items()}
