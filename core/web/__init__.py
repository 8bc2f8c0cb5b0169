"""The FastAPI application: routers per area over the core service."""

from core.runtime.shims import deferring_model_builds

with deferring_model_builds():  # FastAPI's OpenAPI models, used only by /openapi.json: built on first use
    import fastapi  # noqa: F401

from core.web.app import create_app  # noqa: E402

__all__ = ["create_app"]
