"""The FastAPI application: routers per area over the core service."""

from core.web.app import create_app

__all__ = ["create_app"]
