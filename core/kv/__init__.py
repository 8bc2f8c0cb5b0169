"""The key-value store every instance shares: days of listings, locks, summaries.

One small async interface (`KV`), one module per backend. `open_store` picks the
backend from the settings.
"""

from core.kv.base import KV
from core.kv.factory import open_store

__all__ = ["KV", "open_store"]
