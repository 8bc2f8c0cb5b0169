"""What the app sets up in the process when it first serves: on its first call, the lifespan
start-up under uvicorn, else its first request (Vercel and Lambda run no lifespan). Once per app
(`core.web.app.FeedsApp`); importing or building the app does none of it."""

from __future__ import annotations

from core.runtime import gcfreeze, shims, worker


def start() -> None:
    """FastAPI's v1-model check skipped (routes are finished on their first match), the worker
    thread and its GIL switch interval (a cold request's parse threads want it too), then what
    start-up left alive frozen (modules, models, routes: all kept for good)."""
    shims.skip_v1_probe()
    worker.start()
    gcfreeze.freeze_startup()
