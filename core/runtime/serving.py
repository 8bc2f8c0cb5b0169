"""What the app sets up in the process when it first serves: lifespan start-up under uvicorn,
else its first request (Vercel and Lambda run no lifespan). Once per process; importing or
building the app does none of it."""

from __future__ import annotations

from core.runtime import gcfreeze, worker


def start() -> None:
    """The worker thread and its GIL switch interval (a cold request's parse threads want it
    too), then freeze what start-up left alive (modules, models, routes: all kept for good)."""
    worker.start()
    gcfreeze.freeze_startup()
