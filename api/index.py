"""Vercel entry point: the framework preset serves every path through this `app`."""

from core.web import create_app

app = create_app()
