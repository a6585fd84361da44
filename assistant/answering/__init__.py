"""Answerers: the Answerer protocol, the extractive answerer, verified LLM answers."""
