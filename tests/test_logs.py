"""The service's log: private by default (no address, no query), both only when turned on; JSON Lines; levels."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal

import httpx
import pytest
from starlette.testclient import TestClient

from indexer.build import BuildReport
from indexer.settings import Settings
from search.app import create_app
from search.logs import REQUEST_LOGGER, JsonFormatter, logging_config

from .conftest import running_server

#: A query no log line may hold unless LOG_QUERIES is on (Cyrillic: the text as a reader types it).
SECRET_QUERY = "санкцыі Рыанэйр"


def stop(process: object) -> str:
    """SIGTERM a `serve` process and return everything it wrote."""
    assert hasattr(process, "send_signal") and hasattr(process, "communicate")
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return str(output)


def search_and_look(base: str) -> None:
    """A search, an article, a page search and an unknown path, as a reader would."""
    assert httpx.get(f"{base}/api/search", params={"q": SECRET_QUERY, "mode": "keyword"}, timeout=30).status_code == 200
    assert httpx.get(f"{base}/api/articles/no-such-article", timeout=30).status_code == 404
    assert httpx.get(f"{base}/", params={"q": SECRET_QUERY}, timeout=60).status_code == 200
    assert httpx.get(f"{base}/secret-path-{SECRET_QUERY}", timeout=30).status_code == 404


def test_serve_logs_no_address_and_no_query_by_default(sample_settings: Settings, sample_index: BuildReport) -> None:
    with running_server({"ARCHIVE_SEARCH_INDEX_DIR": str(sample_settings.index_dir)}) as (base, process):
        search_and_look(base)
        output = stop(process)
    lines = output.splitlines()
    requests = [line for line in lines if "archive_search.requests" in line]
    assert any("GET /api/search 200" in line and 'mode="keyword"' in line and "results=" in line for line in requests)
    assert any("GET /api/articles/{article_id} 404" in line for line in requests)  # the template, not the id
    assert any("GET / 200" in line and 'mode="hybrid"' in line for line in requests)
    assert any("GET - 404" in line for line in requests)  # a path nobody routes is not written down
    assert "no-such-article" not in output and "secret-path" not in output
    # the only address in the output is the one the server listens on
    assert "127.0.0.1" not in output.replace(base, "")
    for text in (SECRET_QUERY, *SECRET_QUERY.split(), "%D1%81"):
        assert text not in output
    assert any("serving generation" in line and "without addresses or queries" in line for line in lines)


def test_serve_logs_addresses_and_queries_when_turned_on_as_json_lines(
    sample_settings: Settings, sample_index: BuildReport
) -> None:
    env = {
        "ARCHIVE_SEARCH_INDEX_DIR": str(sample_settings.index_dir),
        "ARCHIVE_SEARCH_LOG_CLIENT_ADDRESSES": "1",
        "ARCHIVE_SEARCH_LOG_QUERIES": "1",
        "ARCHIVE_SEARCH_LOG_FORMAT": "json",
    }
    with running_server(env) as (base, process):
        search_and_look(base)
        output = stop(process)
    # every line is JSON (uvicorn's own messages too) but the model loader's notice, printed before logging
    documents = [json.loads(line) for line in output.splitlines() if not line.startswith("Loading embedding model")]
    searches = [d for d in documents if d["logger"] == REQUEST_LOGGER and d["route"] == "/api/search"]
    assert searches and searches[0]["client"] == "127.0.0.1" and searches[0]["query"] == SECRET_QUERY
    assert searches[0]["status"] == 200 and searches[0]["mode"] == "keyword" and searches[0]["level"] == "INFO"
    assert isinstance(searches[0]["results"], int) and searches[0]["duration_ms"] >= 0
    assert any(d["message"].startswith("serving generation") for d in documents)
    assert not any("color_message" in d for d in documents)


def test_probes_are_logged_at_debug_only(
    sample_settings: Settings, sample_index: BuildReport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    with TestClient(create_app(sample_settings)) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/api/issues").status_code == 200
    routes = [getattr(r, "route", None) for r in caplog.records if r.name == REQUEST_LOGGER]
    assert routes == ["/api/issues"]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger=REQUEST_LOGGER)
    with TestClient(create_app(sample_settings)) as client:
        client.get("/health")
    assert [getattr(r, "route", None) for r in caplog.records if r.name == REQUEST_LOGGER] == ["/health"]


def test_json_formatter_writes_one_object_with_the_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "archive_search", "levelno": logging.WARNING, "levelname": "WARNING", "msg": "got %d", "args": (3,)}
    )
    record.route = "/api/search"
    doc = json.loads(JsonFormatter().format(record))
    assert doc["message"] == "got 3" and doc["level"] == "WARNING" and doc["route"] == "/api/search"
    assert doc["time"].endswith("+00:00")


def test_logging_config_follows_the_settings(base_settings: Settings) -> None:
    config = logging_config(dataclasses.replace(base_settings, log_level="warning", log_format="json"))
    assert config["loggers"]["archive_search"]["level"] == "WARNING"
    assert config["formatters"]["service"]["()"].endswith("JsonFormatter")
    assert config["loggers"]["uvicorn.access"]["handlers"] == []  # never: it writes addresses and queries
