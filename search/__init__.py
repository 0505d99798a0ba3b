"""archive-search: the query side, the service and the CLI (built on the indexer package)."""
