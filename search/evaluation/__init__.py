"""Retrieval evaluation, outside the serving path: metrics, test collections, runs over throw-away indexes."""
