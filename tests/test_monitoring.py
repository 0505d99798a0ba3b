"""GET /metrics: only with METRICS=1, parsed by prometheus-client's own parser, counters that move."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from indexer.build import BuildReport
from indexer.settings import Settings
from search.app import create_app


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text document: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_settings(sample_settings: Settings) -> Settings:
    return dataclasses.replace(sample_settings, metrics=True)


def test_metrics_parse_and_count_searches(metrics_settings: Settings, sample_index: BuildReport) -> None:
    with TestClient(create_app(metrics_settings)) as client:
        before = samples(client.get("/metrics").text)
        assert client.get("/api/search", params={"q": "Ryanair", "mode": "keyword"}).status_code == 200
        assert client.get("/api/search", params={"q": "qqqxyzzy", "mode": "keyword"}).json()["total"] == 0
        assert client.get("/api/search", params={"q": "x", "mode": "keyword", "sort": "oldest"}).status_code == 400
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)
    search = {"route": "/api/search", "mode": "keyword", "status": "200"}
    assert (
        value(after, "archive_search_requests_total", **search)
        - value(before, "archive_search_requests_total", **search)
        == 2
    )
    assert value(after, "archive_search_requests_total", route="/api/search", mode="", status="400") == 1
    assert value(after, "archive_search_zero_result_searches_total", mode="keyword") == 1
    assert value(after, "archive_search_request_duration_seconds_count", route="/api/search") == 3
    assert value(after, "archive_search_request_duration_seconds_bucket", route="/api/search", le="+Inf") == 3
    # the generation served, its size and how it was built
    assert value(after, "archive_search_generation_info", generation=sample_index.generation or "") == 1
    assert value(after, "archive_search_articles") == sample_index.articles
    assert value(after, "archive_search_passages") == sample_index.passages
    built = sum(value(after, "archive_search_build_passages", source=s) for s in ("embedded", "cache", "carried"))
    assert built == sample_index.passages
    assert value(after, "archive_search_reloads_total") == 0
    assert value(after, "archive_search_refused_generations_total") == 0
    # no query text and no address in any label
    assert "Ryanair" not in response.text and "qqqxyzzy" not in response.text and "testclient" not in response.text


def test_the_openapi_document_lists_metrics_only_when_served(
    metrics_settings: Settings, sample_index: BuildReport
) -> None:
    with TestClient(create_app(metrics_settings)) as client:
        assert "/metrics" in client.get("/openapi.json").json()["paths"]
        assert client.post("/metrics").json()["error"]["code"] == "method_not_allowed"  # the one error shape
    with TestClient(create_app(dataclasses.replace(metrics_settings, metrics=False))) as client:
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_metrics_do_not_exist_unless_turned_on(sample_settings: Settings, sample_index: BuildReport) -> None:
    with TestClient(create_app(sample_settings)) as client:
        response = client.get("/metrics")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_metrics_on_their_own_port_are_not_on_the_service_port(
    metrics_settings: Settings, sample_index: BuildReport
) -> None:
    with TestClient(create_app(dataclasses.replace(metrics_settings, metrics_port=9464))) as client:
        assert client.get("/metrics").status_code == 404  # `serve` serves them on 9464
