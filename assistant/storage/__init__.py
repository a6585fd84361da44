"""Where the index lives: SQLite catalog, Chroma vectors, BM25, and their write order."""
