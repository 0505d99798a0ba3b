"""The archive-search indexer: settings, archive import, analysis, embeddings and index generations."""
