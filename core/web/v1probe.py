"""Keep FastAPI from importing `pydantic.v1` (about 40 ms of a cold start) when routes are declared.

FastAPI checks every route parameter's type with `is_pydantic_v1_model_class`, only to reject
pydantic v1 models, and that check imports the whole `pydantic.v1` package the first time.
A v1 model class cannot exist unless `pydantic.v1` was imported, so while it is not, the answer
is `False` without importing it; once it is, FastAPI's own check runs as before. (The same idea
as fastapi/fastapi#16374; drop this module when FastAPI does it itself.)
"""

from __future__ import annotations

import sys
from typing import Any


def skip_needless_probe() -> None:
    """Install the shortcut (idempotent; a FastAPI without that function is left alone)."""
    from fastapi._compat import shared

    probe = getattr(shared, "is_pydantic_v1_model_class", None)
    if probe is None or getattr(probe, "_arxiv_feeds_shortcut", False):
        return

    def is_pydantic_v1_model_class(cls: Any) -> bool:
        return "pydantic.v1" in sys.modules and probe(cls)

    is_pydantic_v1_model_class._arxiv_feeds_shortcut = True  # type: ignore[attr-defined]
    shared.is_pydantic_v1_model_class = is_pydantic_v1_model_class
