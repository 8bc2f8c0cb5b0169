"""The FastAPI application: routers per area over the core service."""

from core.web.v1probe import skip_needless_probe

skip_needless_probe()  # before any route is declared (the routers declare theirs on import)

from core.web.app import create_app  # noqa: E402

__all__ = ["create_app"]
