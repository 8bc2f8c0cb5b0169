"""The framework's floor for a cold first answer: FastAPI with one route and no code of ours,
on the same uvicorn with the same flags. `bench.perf` spawns it beside the app and times its
first `/rss` from spawn, as it times ours: what any FastAPI service on this machine pays (Python,
uvicorn, FastAPI, pydantic, Starlette) before it does any work. Ours minus this is what our
import, the listing's fetch and parse, the ranking and the rendering cost."""

from fastapi import FastAPI
from fastapi.responses import Response

BODY = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>floor</title></channel></rss>\n' * 16

app = FastAPI()


@app.get("/rss")
def rss() -> Response:
    return Response(BODY, media_type="application/rss+xml")
