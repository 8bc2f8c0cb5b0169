"""arxiv-feeds core: arXiv ingest, profiles, scoring and feed rendering.

Nothing in this package imports FastAPI except ``core.web``; the CLI and the
tests can use the rest directly.
"""

__version__ = "0.1.0"
