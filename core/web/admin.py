"""Operational routes: `/health`, `/config` (never secrets) and the daily cron refresh."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["admin"])

NO_STORE = {"Cache-Control": "no-store"}


@router.get("/health", summary="Store, upstream, per-category freshness and summary counts")
async def health(request: Request) -> JSONResponse:
    report = await request.app.state.service.health()
    return JSONResponse(report, headers=NO_STORE)


@router.get("/config", summary="The configured profiles (public; no secrets)")
async def config(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.service.config.public(), headers=NO_STORE)


def _authorised(request: Request) -> bool:
    """`Authorization: Bearer <CRON_SECRET>`, compared in constant time."""
    secret = request.app.state.service.settings.cron_secret
    if secret is None or not secret.get_secret_value():
        return False
    given = request.headers.get("authorization", "")
    expected = f"Bearer {secret.get_secret_value()}"
    return hmac.compare_digest(given.encode(), expected.encode())


@router.get("/api/cron/refresh", summary="Refresh listings and summaries (Vercel Cron calls GET)", operation_id="cron_refresh_get")
@router.post("/api/cron/refresh", summary="Refresh listings and summaries", operation_id="cron_refresh_post")
async def cron_refresh(request: Request) -> JSONResponse:
    if not _authorised(request):
        configured = request.app.state.service.settings.cron_secret is not None
        message = (
            "send Authorization: Bearer <CRON_SECRET>"
            if configured
            else "CRON_SECRET is not set on the server: set it to enable this endpoint"
        )
        return JSONResponse(
            {"error": message, "status": 401}, status_code=401,
            headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="cron"'},
        )
    service = request.app.state.service
    report = await service.refresh_all(service.settings.cron_budget_s)
    return JSONResponse(report, headers=NO_STORE)
