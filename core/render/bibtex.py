"""BibTeX: one `@misc` entry per paper, as arXiv's own export shapes it (eprint, archivePrefix,
primaryClass), with the DOI where arXiv knows it, the journal reference (or the venue the comment
says it was accepted at) as `note` and a journal venue as `journal`, for reference managers and `\\cite`.

Everything from arXiv is TeX text, escaped so that it prints as it reads and can never end a
field or an entry: braces become `\\textbraceleft{}` (BibTeX counts `\\{` as a brace), the other
specials their text commands, whitespace one space. UTF-8 is kept (biber, Zotero, JabRef and
BibTeX with inputenc read it). Titles with TeX math therefore print the `$` signs: safe beats
clever with upstream text.
"""

from __future__ import annotations

import re

from core.extract import info
from core.papers import Paper, is_et_al, parse_author
from core.render.document import FeedDocument, xml_safe
from core.sources import citation

_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # `<`, `>` and `|` are not special to TeX; they print as themselves with T1 or Unicode fonts
_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _SPECIALS))
_AND_RE = re.compile(r"\band\b", re.IGNORECASE)
_DOI_RE = re.compile(r"^10\.\d{4,9}/[^\s{}\\%#\"]+$")


def tex(text: str) -> str:
    """Literal text as TeX that prints the same and keeps every brace balanced."""
    return _SPECIAL_RE.sub(lambda m: _SPECIALS[m.group()], " ".join(xml_safe(text).split()))


_WORD_RE = re.compile(r"(?<![\\\w])[^\W_]+|(?<=_)[^\W_]+")  # letters and digits, never a command's name


def tex_title(title: str) -> str:
    """The title as TeX with its case protected: bibtex's plain and abbrv styles (and every
    sentence-casing style) lowercase a title but what is braced. Braced, as Zotero's BibTeX
    export does, is every word with a capital letter anywhere (SAM2, NTIRE, RipDetSeg, Gabor,
    Schrödinger), except a first word whose only capital is its first letter: the styles keep
    that one anyway, and bracing it would stop biblatex's case changes for nothing."""
    text = tex(title)
    first = True

    def protect(match: re.Match[str]) -> str:
        nonlocal first
        word, was_first = match.group(), first
        first = False
        if not any(c.isupper() for c in word) or (was_first and not any(c.isupper() for c in word[1:])):
            return word
        return "{" + word + "}"

    return _WORD_RE.sub(protect, text)


def tex_name(name: str) -> str:
    """One author for BibTeX's `and`-separated list: a literal `and` inside a name is braced so
    BibTeX does not split the list there; a name still holding a comma is braced whole (one
    literal name) so it is not read as `Last, First` (biber skips the entry at two commas, even
    braced ones)."""
    text = _AND_RE.sub(lambda m: "{" + m.group() + "}", tex(name))
    return "{" + text + "}" if "," in text else text


def cited_names(paper: Paper) -> list[str]:
    """The authors' names without their affiliations (neither BibTeX nor CSL has a field for
    them), empty names and an "et al." marker dropped."""
    names = (parse_author(xml_safe(a)).name for a in paper.authors)
    return [n for n in names if n and not is_et_al(n)]


def entry(paper: Paper) -> str:
    fields = [("title", tex_title(paper.title))]
    names = [tex_name(a) for a in cited_names(paper)]
    if names and any(is_et_al(a) for a in paper.authors):
        names.append("others")  # BibTeX's "et al."
    if names:
        fields.append(("author", " and ".join(names)))
    cited = citation(paper)
    fields.append(("year", str(paper.announced.year)))
    if cited.eprint:
        fields.append(("eprint", cited.eprint))
    if cited.archive_prefix:
        fields.append(("archivePrefix", cited.archive_prefix))
    if cited.primary_class is not None:
        fields.append(("primaryClass", tex(cited.primary_class)))
    if not cited.eprint:  # a server without arXiv's eprint fields is named as the publisher
        fields.append(("publisher", tex(cited.publisher)))
        fields.append(("howpublished", tex(cited.publisher)))
    if cited.doi and _DOI_RE.match(cited.doi.strip()):
        fields.append(("doi", cited.doi.strip()))  # verbatim in biblatex: never escaped, never braces
    fields.append(("url", cited.url))
    venue = info(paper).venue
    if venue is not None and venue.journal:
        fields.append(("journal", tex(venue.long or venue.name)))
    notes = [tex(paper.journal_ref)] if paper.journal_ref else []
    if venue is not None and not paper.journal_ref:
        notes.append(f"Accepted at {tex(venue.label)}")
    if notes:
        fields.append(("note", "; ".join(notes)))
    fields.append(("abstract", tex(paper.abstract)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{cited.key},\n{body}\n}}\n"


def render_bibtex(doc: FeedDocument) -> bytes:
    return "\n".join(entry(item.paper) for item in doc.items).encode("utf-8")
