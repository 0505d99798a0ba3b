"""Prometheus metrics of the service (``METRICS=1``): requests, searches, the generation served, reloads.

Each app has metrics of its own (no module-level registry, so tests and reloads can make many).
With several workers, ``serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` to a temporary folder before
they start: each worker's values live in files there, and ``/metrics`` in any worker (or on
``METRICS_PORT``) adds them all up; the per-worker gauges (generation, counts) carry a ``pid``
label, one series per live worker.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from search.engine import Engine
    from search.logs import Served

#: The environment variable that puts prometheus-client in multiprocess mode (read when it is imported).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Request durations, seconds: keyword searches take milliseconds, a cold semantic one up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess() -> bool:
    """Whether this process shares its metrics with other workers through ``PROMETHEUS_MULTIPROC_DIR``."""
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition_registry(own: Any = None) -> Any:
    """The registry ``/metrics`` renders: every worker's values in multiprocess mode, else ``own``."""
    if not multiprocess():
        return own
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


class ServiceMetrics:
    """The service's metrics and the events that move them."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        # in multiprocess mode the values go to files that the collector reads: registering them
        # here as well would count them twice
        self.registry = CollectorRegistry()
        reg = None if multiprocess() else self.registry
        self.exposition = exposition_registry(self.registry)
        self.requests = Counter(
            "archive_search_requests",
            "Requests answered, by route template, search mode (searches only) and status.",
            ["route", "mode", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "archive_search_request_duration_seconds",
            "Time to answer a request, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.zero_results = Counter(
            "archive_search_zero_result_searches", "Searches that found nothing, by mode.", ["mode"], registry=reg
        )
        self.reloads = Counter(
            "archive_search_reloads", "Generations switched to while serving (not the first one loaded).", registry=reg
        )
        self.refused = Counter(
            "archive_search_refused_generations",
            "Published generations refused (failed verification or could not be opened).",
            registry=reg,
        )
        live: dict[str, Any] = {"registry": reg, "multiprocess_mode": "liveall"}
        self.generation = Gauge(
            "archive_search_generation_info",
            "The generation served (1; those served before: 0), per worker.",
            ["generation"],
            **live,
        )
        self.articles = Gauge(
            "archive_search_articles", "Articles (language versions) in the generation served.", **live
        )
        self.passages = Gauge("archive_search_passages", "Passages in the generation served.", **live)
        self.build_passages = Gauge(
            "archive_search_build_passages",
            "Passages of the build that made the generation served: embedded by the model, taken from the "
            "embedding cache, or carried over from the generation before.",
            ["source"],
            **live,
        )

    def observe(self, served: Served) -> None:
        """Count an answered request (the request log's record of it: no text, no address)."""
        self.requests.labels(served.route, served.mode or "", str(served.status)).inc()
        self.latency.labels(served.route).observe(served.seconds)
        if served.results == 0 and served.mode is not None:
            self.zero_results.labels(served.mode).inc()

    def serving(self, engine: Engine, previous: str | None, *, reload: bool) -> None:
        """The generation ``engine`` serves is now live here (``reload``: a switch, not the start)."""
        if previous is not None and previous != engine.generation_id:
            self.generation.labels(previous).set(0)
        self.generation.labels(engine.generation_id).set(1)
        self.articles.set(engine.article_count)
        manifest = engine.generation.manifest
        passages = int(manifest.get("counts", {}).get("passages", 0))
        self.passages.set(passages)
        built = manifest.get("built_from", {})
        embedded, cached = int(built.get("embedded_passages", 0)), int(built.get("cached_passages", 0))
        self.build_passages.labels("embedded").set(embedded)
        self.build_passages.labels("cache").set(cached)
        self.build_passages.labels("carried").set(max(0, passages - embedded - cached))
        if reload:
            self.reloads.inc()

    def refusal(self) -> None:
        """A published generation was refused."""
        self.refused.inc()

    def render(self) -> bytes:
        """The text format of every metric (of every worker in multiprocess mode)."""
        from prometheus_client import generate_latest

        return generate_latest(self.exposition)


def worker_stopped() -> None:
    """In multiprocess mode, forget this worker's per-worker gauges (it is stopping)."""
    if multiprocess():
        from prometheus_client import multiprocess as prometheus_multiprocess

        prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def endpoint(request: Request) -> Response:
    """``GET /metrics``: the Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST

    metrics: ServiceMetrics = request.app.state.metrics
    return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE_LATEST)


def start_metrics_server(port: int, host: str, registry: Any) -> None:
    """Serve ``/metrics`` of ``registry`` on its own port (a daemon thread; prometheus-client logs no requests)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=registry)
