"""Hybrid search: Korean BM25 and dense cosine fused into one ranking, with filters."""
