"""Upstream arXiv: the polite HTTP client and the parsers for its feeds and API."""
