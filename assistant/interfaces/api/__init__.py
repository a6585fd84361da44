"""The HTTP API beside the browser page: /api, OpenAI-compatible /v1, /healthz, /metrics."""
