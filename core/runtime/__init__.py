"""What the service changes in the Python process for speed, all of it here and none of it at import.

Importing `core` (or building the app with `create_app`) changes nothing process-wide:
`tests/test_runtime.py` imports the app in a new interpreter and checks the switch interval,
the frozen-object count, the collector and `sys.modules`. Each change is made when it is first
needed, for a reason measured in `bench.perf`:

- `gcfreeze`: data kept for good (decoded days, parsed listings, analysed text, and everything
  alive once the app starts: modules, models, routes) is frozen out of the cyclic collector's
  full passes, which stalled the event loop 60-140 ms. Frozen where it enters and nowhere else:
  arXiv's answers as they are parsed (`core.sources.arxiv.answers`), stored days as they are
  decoded (`core.listings.store`), analyses as a ranking builds them (`core.pipeline`).
  `gcfreeze.freeze_startup` runs when an app first serves (lifespan start-up or first request:
  Vercel and Lambda run no lifespan).
- `worker`: the one thread for CPU-bound work (ranking, rendering, decoding), made on first
  use, and with it a 1 ms GIL switch interval (Python's default is 5 ms) so the event loop gets
  the GIL back soon while it computes.
- `shims`: start-up costs avoided without leaving anything behind: httpx imported without its
  command-line tool (~30 ms), FastAPI's routes declared without importing `pydantic.v1`
  (~40 ms), FastAPI's OpenAPI models built when `/openapi.json` first needs them (~40 ms).
  Each applies only for the duration of the import or declaration it speeds up, until the app
  serves (`serving.start`: FastAPI finishes each route on its first match).
- `serving.start()`: all of the above that lasts, once, when the app first serves.
"""
