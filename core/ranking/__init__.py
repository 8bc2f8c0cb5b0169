"""Ranking: text analysis (`text`), term matching (`matching`), the pool (`pool`), the signals
(`signals/`, listed in `registry`), what a ranking will cost (`cost`), and their types in one
module (`types`), which imports nothing of the package. Ranking does no I/O: a signal's
`prepare` step works through the clients the service gives it (`types.Clients`: core.seeds,
core.embeddings, or its own, made by its `connect`). Import from the module that defines a name; this file re-exports nothing."""
