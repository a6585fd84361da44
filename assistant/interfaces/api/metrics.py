"""Prometheus metrics of one server, in its own registry (no process-global state).

* ``assistant_http_requests_total{route,method,status}`` and
  ``assistant_http_request_seconds{route}`` for every API request (a stream is timed to
  its last byte); ``assistant_http_errors_total{route}`` for 5xx answers;
* ``assistant_answer_stage_seconds{stage}``: the pipeline's own timings of each answer
  (validate, retrieve, answer, …, ``total``); ``assistant_answers_total{status,answerer}``;
* ``assistant_index_documents`` / ``assistant_index_chunks``, read when scraped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from assistant.interfaces.web.engine import Engine
from assistant.types import Answer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
ROUTES = ("/api/ask", "/api/documents", "/v1/chat/completions", "/v1/models", "/healthz")


def route_label(path: str) -> str | None:
    """The metric label of a request path; None for the page's own routes."""
    if path in ("/metrics", "/healthz"):
        return path
    for route in ROUTES:
        if path == route:
            return route
        if path.startswith(route + "/"):
            return route + "/{id}"
    if path.startswith(("/api/", "/v1/")):
        return "other"
    return None


class IndexSize(Collector):
    """Documents and chunks in the index, read from the catalog at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Two gauges, or none while the index is not open."""
        if self.engine.qa is None:
            return
        try:
            docs, chunks = self.engine.qa.store.counts()
        except Exception:  # an unreachable store shows in /healthz, not here
            return
        yield GaugeMetricFamily("assistant_index_documents", "Documents indexed", value=docs)
        yield GaugeMetricFamily("assistant_index_chunks", "Chunks indexed", value=chunks)


class ApiMetrics:
    """The server's counters and histograms; ``render`` is the /metrics text."""

    def __init__(self, engine: Engine) -> None:
        self.registry = r = CollectorRegistry()
        labels = ["route", "method", "status"]
        self.requests = Counter("assistant_http_requests", "API requests", labels, registry=r)
        self.errors = Counter(
            "assistant_http_errors", "API requests that failed (5xx)", ["route"], registry=r
        )
        self.latency = Histogram(
            "assistant_http_request_seconds",
            "API request time",
            ["route"],
            buckets=BUCKETS,
            registry=r,
        )
        self.stages = Histogram(
            "assistant_answer_stage_seconds",
            "Time per answering stage",
            ["stage"],
            buckets=BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "assistant_answers", "Answers given", ["status", "answerer"], registry=r
        )
        r.register(IndexSize(engine))

    def observe_answer(self, answer: Answer) -> None:
        """Count an answer and record its stages' times."""
        self.answers.labels(answer.status, answer.answerer).inc()
        for stage, seconds in answer.timings.items():
            self.stages.labels(stage).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware counting and timing the API's requests."""

    def __init__(self, app: Any, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        route = route_label(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        status = [500]
        started = time.perf_counter()

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            m = self.metrics
            m.requests.labels(route, scope["method"], str(status[0])).inc()
            m.latency.labels(route).observe(time.perf_counter() - started)
            if status[0] >= 500 and route != "/healthz":  # loading is not an error
                m.errors.labels(route).inc()
