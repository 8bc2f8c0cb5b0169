"""Simple TeX in arXiv titles and abstracts as readers should see it on the pages and in the
Markdown digest: `mAP$_{50}$` -> mAP<sub>50</sub> (HTML) or mAP₅₀ (Unicode), `91.0\\%` -> 91.0%.

Handled: `$...$`, `$$...$$` and `\\(...\\)` math with sub/superscripts, Greek letters, common
symbols and font commands (`\\mathbf`, `\\text`, ...), `\\frac` and `\\sqrt`; in text the escapes
(`\\% \\& \\_ \\# \\$ \\{ \\}`), accents (`\\"o`, `\\'e`) and `\\textbf`-like commands. A math
span with anything else (`\\href`, a macro of the paper) is kept as it was written, so nothing
is guessed. The feeds keep arXiv's source (readers cannot render it).

The result is runs of plain text, each with its script levels; nothing here is markup:
`html()` escapes every run before it adds <sub>/<sup>, so TeX can never inject HTML.
Text is cut into `Piece`s that know their source offsets, so the pages can mark the
matched terms of the source in the rendered text (`core.web.highlight`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from html import escape

from core.papers import accent_at

Level = str  # "sub" or "sup"


@dataclass(frozen=True)
class Run:
    text: str
    levels: tuple[Level, ...] = ()  # outermost first: ("sup", "sub") is a subscript in a superscript


@dataclass(frozen=True)
class Piece:
    """Source `text[start:end]` prints as `runs`; a `literal` piece prints as its source, char
    for char, so it may be cut anywhere."""

    start: int
    end: int
    runs: tuple[Run, ...]
    literal: bool = False


class _Unsupported(Exception):
    """Math this module does not know how to print: the span is kept as written."""


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ",
    "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
SYMBOLS = {
    "times": "×", "pm": "±", "mp": "∓", "sim": "∼", "approx": "≈", "simeq": "≃", "cong": "≅", "equiv": "≡",
    "propto": "∝", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "ll": "≪", "gg": "≫",
    "infty": "∞", "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "leftrightarrow": "↔",
    "mapsto": "↦", "cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…", "circ": "∘", "star": "⋆", "ast": "∗",
    "div": "÷", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩",
    "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫",
    "emptyset": "∅", "neg": "¬", "wedge": "∧", "vee": "∨", "oplus": "⊕", "otimes": "⊗", "dagger": "†",
    "prime": "′", "ell": "ℓ", "hbar": "ℏ", "langle": "⟨", "rangle": "⟩", "mid": "|", "vert": "|",
    "lvert": "|", "rvert": "|", "|": "‖", "%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}",
    ",": "\u2009", ";": "\u2009", ":": "\u2009", "!": "", " ": " ", "quad": " ", "qquad": " ",
    "lbrace": "{", "rbrace": "}",
}
FUNCTIONS = {"ln", "log", "exp", "sin", "cos", "tan", "max", "min", "arg", "argmax", "argmin", "lim", "det", "sup", "inf", "mod"}
FONTS = {"mathcal", "mathbf", "mathrm", "mathit", "mathsf", "mathtt", "mathbb", "mathfrak", "boldsymbol", "bm",
         "text", "textbf", "textit", "texttt", "textrm", "textsf", "emph", "operatorname", "underline", "mbox", "hat",
         "bar", "tilde", "vec", "widehat", "overline"}
DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
SKIPPED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "limits", "displaystyle",
           "textstyle", "nolimits"}
TEXT_COMMANDS = {"textbf", "textit", "emph", "texttt", "textsf", "textrm", "underline", "text", "textsc", "mbox"}
TEXT_WORDS = {"ldots": "…", "dots": "…", "LaTeX": "LaTeX", "TeX": "TeX", "textendash": "–", "textemdash": "—"}

_MAX_MATH = 400  # longer "math" (or a longer \textbf{...} group) is more likely stray signs
# arXiv caps abstracts at 1,920 characters: longer text is upstream trouble and is shown as
# written, so hostile text cannot make a page slow (the cost is linear below this).
MAX_TEXT = 2500
_MAX_DEPTH = 12  # deeper nesting is kept as written (hostile input cannot recurse far)
_MATH_RE = re.compile(
    r"\$\$(?P<display>(?:\\.|[^$\\]){1,%d})\$\$"
    r"|\$(?![\s$])(?P<inline>(?:\\.|[^$\\]){1,%d}?)(?<![\s\\])\$"
    r"|\\\((?P<paren>.{1,%d}?)\\\)" % (_MAX_MATH, _MAX_MATH, _MAX_MATH),
    re.DOTALL,
)
_COMMAND_RE = re.compile(r"\\([A-Za-z]+)|\\(.)", re.DOTALL)
_MKERN_RE = re.compile(r"\s*-?\d*\.?\d+\s*mu")
_SPECIAL = re.compile(r"[$\\{]")


# --- pieces -------------------------------------------------------------------------------

def pieces(text: str) -> list[Piece]:
    """`text` cut into literal stretches and the TeX constructs it holds, in order."""
    if len(text) > MAX_TEXT:
        return [Piece(0, len(text), (Run(text),), literal=True)] if text else []
    result: list[Piece] = []
    _text_pieces(text, 0, len(text), result, 0)
    return result


def _text_pieces(text: str, start: int, end: int, out: list[Piece], depth: int) -> None:
    pos = literal_from = start

    def flush(upto: int) -> None:
        if upto > literal_from:
            out.append(Piece(literal_from, upto, (Run(text[literal_from:upto]),), literal=True))

    while True:
        found = _SPECIAL.search(text, pos, end)
        if not found:
            break
        at = found.start()
        made = _construct(text, at, end, depth)
        if made is None:
            pos = at + (2 if text.startswith("\\\\", at) else 1)  # `\\%` is a line break and a %, not `\%`
            continue
        flush(at)
        stop, made_pieces = made
        out.extend(made_pieces)
        pos = literal_from = stop
    flush(end)


def _construct(text: str, at: int, end: int, depth: int) -> tuple[int, list[Piece]] | None:
    """The TeX construct starting at `at`, or None when it is to be printed as written."""
    char = text[at]
    if char == "$" or text.startswith("\\(", at):
        match = _MATH_RE.match(text, at, end)
        if not match or _money(match, text):
            return None
        source = match.group("display") or match.group("inline") or match.group("paren")
        try:
            runs = _merge(_math(source))
        except (_Unsupported, RecursionError):
            return match.end(), [Piece(at, match.end(), (Run(match.group()),))]
        return match.end(), [Piece(at, match.end(), tuple(runs))]
    accent = accent_at(text, at)
    if accent is not None and accent[0] <= end:
        return accent[0], [Piece(at, accent[0], (Run(accent[1]),))]
    if char != "\\":
        return None
    command = _COMMAND_RE.match(text, at, end)
    if not command:
        return None
    name = command.group(1)
    if command.group(2) is not None:  # a control symbol
        symbol = command.group(2)
        if symbol in "%&_#${}":
            return command.end(), [Piece(at, command.end(), (Run(symbol),))]
        if symbol in ", ":
            return command.end(), [Piece(at, command.end(), (Run(" "),))]
        return None
    if name in TEXT_WORDS:
        stop = command.end() + 2 if text.startswith("{}", command.end()) else command.end()
        return stop, [Piece(at, stop, (Run(TEXT_WORDS[name]),))]
    if name in TEXT_COMMANDS and text.startswith("{", command.end()) and depth < _MAX_DEPTH:
        close = _group_end(text, command.end(), end)
        if close is None:
            return None
        inner: list[Piece] = [Piece(at, command.end() + 1, ())]
        _text_pieces(text, command.end() + 1, close, inner, depth + 1)
        inner.append(Piece(close, close + 1, ()))
        return close + 1, inner
    return None


def _money(match: re.Match[str], text: str) -> bool:
    """`$5-$10`: dollar amounts, not math (Pandoc's rule, narrowed so `$\\approx$1K` is math)."""
    inline = match.group("inline")
    return bool(inline) and inline[0].isdigit() and text[match.end():match.end() + 1].isdigit()


def _group_end(text: str, open_at: int, end: int) -> int | None:
    """The index of the `}` closing the group opened at `open_at` (escaped braces skipped)."""
    depth, i = 0, open_at
    end = min(end, open_at + _MAX_MATH)
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


# --- math ---------------------------------------------------------------------------------

def _math(source: str) -> list[Run]:
    runs, rest = _sequence(source, 0, 0)
    if rest != len(source):
        raise _Unsupported("unbalanced }")
    text_runs = [r for r in runs if r.text]
    if text_runs:  # TeX ignores the spaces at the ends of math
        text_runs[0] = Run(text_runs[0].text.lstrip(), text_runs[0].levels)
        text_runs[-1] = Run(text_runs[-1].text.rstrip(), text_runs[-1].levels)
    return text_runs


def _sequence(source: str, pos: int, depth: int) -> tuple[list[Run], int]:
    """Atoms up to the end or an unmatched `}` (whose index is returned)."""
    if depth > _MAX_DEPTH:
        raise _Unsupported("too deep")
    runs: list[Run] = []
    while pos < len(source):
        char = source[pos]
        if char == "}":
            return runs, pos
        if char in "_^":
            level = "sub" if char == "_" else "sup"
            argument, pos = _argument(source, pos + 1, depth)
            if level == "sup" and "".join(r.text for r in argument) in ("∘", "\u2218"):
                runs.append(Run("°"))  # ^\circ: degrees
            else:
                runs.extend(Run(r.text, (level, *r.levels)) for r in argument)
            continue
        if char.isspace():
            while pos < len(source) and source[pos].isspace():
                pos += 1
            runs.append(Run(" "))
            continue
        atom, pos = _atom(source, pos, depth)
        runs.extend(atom)
    return runs, pos


def _argument(source: str, pos: int, depth: int) -> tuple[list[Run], int]:
    """One argument of a command or script: a `{group}` or a single atom."""
    while pos < len(source) and source[pos].isspace():
        pos += 1
    if pos >= len(source) or source[pos] == "}":
        raise _Unsupported("missing argument")
    return _atom(source, pos, depth)


def _atom(source: str, pos: int, depth: int) -> tuple[list[Run], int]:
    char = source[pos]
    if char == "{":
        runs, close = _sequence(source, pos + 1, depth + 1)
        if close >= len(source):
            raise _Unsupported("unclosed {")
        return runs, close + 1
    if char == "~":
        return [Run("\u00a0")], pos + 1
    if char in "&#%":
        raise _Unsupported(char)  # alignment, macro parameters, comments: not simple
    if char != "\\":
        return [Run(char)], pos + 1
    command = _COMMAND_RE.match(source, pos)
    if not command:
        raise _Unsupported("lone backslash")
    name = command.group(1) or command.group(2)
    stop = command.end()
    if name in GREEK:
        return [Run(GREEK[name])], stop
    if name in SYMBOLS:
        return [Run(SYMBOLS[name])], stop
    if name in FUNCTIONS:
        return [Run(name)], stop
    if name in SKIPPED:
        return [], stop
    if name == "mkern":
        kern = _MKERN_RE.match(source, stop)
        if not kern:
            raise _Unsupported("mkern")
        return [], kern.end()
    if name in FONTS:
        runs, stop = _argument(source, stop, depth + 1)
        if name == "mathbb":
            runs = [Run("".join(DOUBLE_STRUCK.get(c, c) for c in r.text), r.levels) for r in runs]
        return runs, stop
    if name == "sqrt":
        runs, stop = _argument(source, stop, depth + 1)
        return [Run("√"), *_parenthesised(runs)], stop
    if name in ("frac", "dfrac", "tfrac"):
        top, stop = _argument(source, stop, depth + 1)
        bottom, stop = _argument(source, stop, depth + 1)
        return [*_parenthesised(top), Run("/"), *_parenthesised(bottom)], stop
    raise _Unsupported(name)


def _parenthesised(runs: list[Run]) -> list[Run]:
    text = "".join(r.text for r in runs)
    return runs if len(text) <= 1 or text.isalnum() and len(text) <= 3 else [Run("("), *runs, Run(")")]


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if merged and merged[-1].levels == run.levels:
            merged[-1] = Run(merged[-1].text + run.text, run.levels)
        elif run.text:
            merged.append(run)
    return merged


# --- output -------------------------------------------------------------------------------

def runs(text: str) -> list[Run]:
    """The whole of `text` as printed runs."""
    return _merge([r for p in pieces(text) for r in p.runs])


def split(all_pieces: list[Piece], text: str, bounds: list[tuple[int, int]]) -> list[list[Run]]:
    """The runs of each `text[start:end]` in `bounds` (in order, not overlapping, cutting no
    piece but literal ones), in one pass over the pieces."""
    result: list[list[Run]] = []
    i = 0
    for start, end in bounds:
        while i < len(all_pieces) and all_pieces[i].end <= start:
            i += 1
        collected: list[Run] = []
        j = i
        while j < len(all_pieces) and all_pieces[j].start < end:
            piece = all_pieces[j]
            if piece.literal:
                collected.append(Run(text[max(start, piece.start):min(end, piece.end)]))
            else:
                collected.extend(piece.runs)
            j += 1
        result.append(_merge(collected))
    return result


def widen(span: tuple[int, int], all_pieces: list[Piece], starts: list[int]) -> tuple[int, int]:
    """`span` grown to whole TeX constructs where it starts or ends inside one (`starts`: the
    pieces' start offsets, for bisection)."""

    def inside(offset: int) -> Piece | None:
        k = bisect_right(starts, offset) - 1
        piece = all_pieces[k] if k >= 0 else None
        return piece if piece is not None and not piece.literal and piece.start < offset < piece.end else None

    start, end = span
    first, last = inside(start), inside(end)
    return (first.start if first else start), (last.end if last else end)


def html(printed: list[Run]) -> str:
    """Escaped HTML: each run's text escaped, scripts as <sub>/<sup>."""
    parts = []
    for run in printed:
        opened = "".join(f"<{level}>" for level in run.levels)
        closed = "".join(f"</{level}>" for level in reversed(run.levels))
        parts.append(f"{opened}{escape(run.text, quote=False)}{closed}")
    return "".join(parts)


_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ−", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ₋"))
_SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ−∗*′",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡ⁻**′"))


def plain(text: str) -> str:
    """`text` as Unicode text: scripts as Unicode sub/superscript characters where every
    character has one (mAP₅₀, O(n²)), else marked `_x` / `^(a b)` as people type them."""
    return "".join(_plain_run(r) for r in runs(text))


def _plain_run(run: Run) -> str:
    text = run.text
    for level in reversed(run.levels):
        table, mark = (_SUB, "_") if level == "sub" else (_SUP, "^")
        if all(c in table for c in text):
            text = "".join(table[c] for c in text)
        else:
            text = mark + (text if len(text) == 1 or not any(c.isspace() for c in text) else f"({text})")
    return text
