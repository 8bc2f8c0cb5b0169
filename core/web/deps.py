"""What routes are given, in one place: typed FastAPI dependencies over the app's `Services`
(the composition root, `core.services`). A route names what it uses in its signature
(`feeds: Feeds`, `health: Health`, ...) instead of reading `request.app.state` by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.clock import Clock
from core.cron import Cron
from core.health import HealthReport
from core.pipeline import FeedPipeline
from core.profiles import Config
from core.services import Services
from core.settings import Settings


def services_of(request: Request) -> Services:
    """The app's services (for helpers that take the request rather than a dependency)."""
    return request.app.state.services


# The dependencies are coroutines: FastAPI runs a plain function in its thread pool (~40 us a
# request on this machine), a coroutine in line.
async def _services(request: Request) -> Services:
    return request.app.state.services


async def _feeds(request: Request) -> FeedPipeline:
    return request.app.state.services.feeds


async def _cron(request: Request) -> Cron:
    return request.app.state.services.cron


async def _health(request: Request) -> HealthReport:
    return request.app.state.services.health


async def _config(request: Request) -> Config:
    return request.app.state.services.config


async def _settings(request: Request) -> Settings:
    return request.app.state.services.settings


async def _clock(request: Request) -> Clock:
    return request.app.state.services.clock


AppServices = Annotated[Services, Depends(_services)]
Feeds = Annotated[FeedPipeline, Depends(_feeds)]
CronJobs = Annotated[Cron, Depends(_cron)]
Health = Annotated[HealthReport, Depends(_health)]
Profiles = Annotated[Config, Depends(_config)]
AppSettings = Annotated[Settings, Depends(_settings)]
AppClock = Annotated[Clock, Depends(_clock)]
