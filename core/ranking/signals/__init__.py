"""One module per ranking signal; `core.ranking.registry.REGISTRY` lists them."""
