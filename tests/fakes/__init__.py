"""Deterministic stand-ins for the parts a unit test does not exercise (no model, no Chroma).

Each fake implements just the methods its consumer calls, records what it was asked, and
is named for what it replaces; integration tests use the real parts.
"""
