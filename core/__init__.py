"""arxiv-feeds core: arXiv ingest, profiles, scoring and feed rendering.

Nothing in this package imports FastAPI except ``core.web``; the CLI and the
tests can use the rest directly.
"""

__version__ = "0.1.0"

import sys as _sys

# httpx imports its command-line tool (click, rich, pygments: ~30 ms) whenever those happen to
# be installed (here: by test tools); the service never uses it, so it is not loaded. Without
# them, httpx skips it the same way.
if "httpx" not in _sys.modules:
    _sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]
