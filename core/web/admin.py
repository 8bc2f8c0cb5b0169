"""Operational routes: `/health`, `/config` (never secrets) and the daily cron refresh."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from core.settings import Settings
from core.web.deps import AppSettings, CronJobs, Health, Profiles

router = APIRouter(tags=["admin"])

NO_STORE = {"Cache-Control": "no-store"}


@router.get("/health", summary="Store, upstream, per-category freshness and summary counts")
async def health(health: Health) -> JSONResponse:
    report = await health.report()
    return JSONResponse(report, headers=NO_STORE)


@router.get("/config", summary="The configured profiles (public; no secrets)")
async def config(profiles: Profiles) -> JSONResponse:
    return JSONResponse(profiles.public(), headers=NO_STORE)


def _authorised(request: Request, settings: Settings) -> bool:
    """`Authorization: Bearer <CRON_SECRET>`, compared in constant time."""
    secret = settings.cron_secret
    if secret is None or not secret.get_secret_value():
        return False
    given = request.headers.get("authorization", "")
    expected = f"Bearer {secret.get_secret_value()}"
    return hmac.compare_digest(given.encode(), expected.encode())


def _refusal(request: Request, settings: Settings) -> JSONResponse | None:
    """None for the cron caller; anyone else gets a 401 that says what to send, or that the
    server has no CRON_SECRET (a plain function, so the mutation run reaches it: mutmut leaves
    decorated functions such as routes alone)."""
    if _authorised(request, settings):
        return None
    message = (
        "send Authorization: Bearer <CRON_SECRET>"
        if settings.cron_secret is not None
        else "CRON_SECRET is not set on the server: set it to enable this endpoint"
    )
    return JSONResponse(
        {"error": message, "status": 401}, status_code=401,
        headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="cron"'},
    )


@router.get("/api/cron/refresh", summary="Refresh listings and summaries (Vercel Cron calls GET)", operation_id="cron_refresh_get")
@router.post("/api/cron/refresh", summary="Refresh listings and summaries", operation_id="cron_refresh_post")
async def cron_refresh(request: Request, settings: AppSettings, cron: CronJobs) -> JSONResponse:
    refused = _refusal(request, settings)
    if refused is not None:
        return refused
    report = await cron.refresh_all(settings.cron_budget_s)
    return JSONResponse(report, headers=NO_STORE)
