"""Operational routes: `/health` and `/config` (never secrets)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["admin"])


@router.get("/health", summary="Store, upstream and per-category freshness")
async def health(request: Request) -> JSONResponse:
    report = await request.app.state.service.health()
    return JSONResponse(report, headers={"Cache-Control": "no-store"})


@router.get("/config", summary="The configured profiles (public; no secrets)")
async def config(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.service.config.public(), headers={"Cache-Control": "no-store"})
