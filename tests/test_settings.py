"""Settings: defaults, environment parsing with named errors, and the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.errors import SettingsError
from indexer.settings import BUNDLED_MODEL, Settings, sample_archive_path, settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env({})
    # the default index is the per-user data folder's: the same from any folder a command runs in
    assert settings.index_dir.is_absolute() and settings.index_dir.parts[-2:] == ("archive-search", "index")
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).index_dir == settings.index_dir
    assert not settings.log_client_addresses and not settings.log_queries and not settings.metrics  # private
    assert settings.archive == sample_archive_path()
    assert settings.model == BUNDLED_MODEL
    assert settings.max_body_chars == 200_000
    assert settings.model_dir.name == "models" and "index_data" not in str(settings.model_dir)


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "ARCHIVE_SEARCH_INDEX_DIR": "/tmp/x",
            "ARCHIVE_SEARCH_PASSAGE_MAX_TOKENS": "300",
            "ARCHIVE_SEARCH_MODEL": "/models/other",
            "ARCHIVE_SEARCH_MAX_BODY_CHARS": "5000",
            "UNRELATED": "1",
        }
    )
    assert settings.max_body_chars == 5000
    assert settings.index_dir == Path("/tmp/x")
    assert settings.passage_max_tokens == 300
    assert settings.model == "/models/other"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARCHIVE_SEARCH_TORCH_THREADS": "two"}, "ARCHIVE_SEARCH_TORCH_THREADS: expected an integer"),
        ({"ARCHIVE_SEARCH_EMBED_BATCH_SIZE": "0"}, "ARCHIVE_SEARCH_EMBED_BATCH_SIZE: must be at least 1"),
        ({"ARCHIVE_SEARCH_PASSAGE_MAX_TOKENS": "0"}, "ARCHIVE_SEARCH_PASSAGE_MAX_TOKENS: must be at least 1"),
        ({"ARCHIVE_SEARCH_EMBED_PRECISION": "int8"}, "ARCHIVE_SEARCH_EMBED_PRECISION: must be auto, bfloat16 or"),
        ({"ARCHIVE_SEARCH_INDEX_DIR": ""}, "ARCHIVE_SEARCH_INDEX_DIR: must not be empty"),
        ({"ARCHIVE_SEARCH_MODEL": " "}, "ARCHIVE_SEARCH_MODEL: must not be empty"),
        ({"ARCHIVE_SEARCH_HYBRID_FUSION": "max"}, "ARCHIVE_SEARCH_HYBRID_FUSION: must be adaptive, rrf or convex"),
        ({"ARCHIVE_SEARCH_HYBRID_ALPHA": "1.5"}, "ARCHIVE_SEARCH_HYBRID_ALPHA: must be between 0 and 1"),
        ({"ARCHIVE_SEARCH_HYBRID_ALPHA": "half"}, "ARCHIVE_SEARCH_HYBRID_ALPHA: expected a number"),
        ({"ARCHIVE_SEARCH_SEMANTIC_CANDIDATES": "0"}, "ARCHIVE_SEARCH_SEMANTIC_CANDIDATES: must be at least 1"),
        ({"ARCHIVE_SEARCH_MAX_BODY_CHARS": "0"}, "ARCHIVE_SEARCH_MAX_BODY_CHARS: must be at least 1"),
        ({"ARCHIVE_SEARCH_MAX_BODY_CHARS": "lots"}, "ARCHIVE_SEARCH_MAX_BODY_CHARS: expected an integer"),
        ({"ARCHIVE_SEARCH_CORS_ORIGINS": "example.org"}, "ARCHIVE_SEARCH_CORS_ORIGINS: 'example.org' is not an origin"),
        ({"ARCHIVE_SEARCH_QUERY_TIME_BUDGET": "0"}, "ARCHIVE_SEARCH_QUERY_TIME_BUDGET: must be positive"),
        ({"ARCHIVE_SEARCH_FRAME_ANCESTORS": ""}, "ARCHIVE_SEARCH_FRAME_ANCESTORS: must not be empty"),
        ({"ARCHIVE_SEARCH_CSP_EXTRA_SOURCES": "a; script-src *"}, "ARCHIVE_SEARCH_CSP_EXTRA_SOURCES: must be sources"),
        ({"ARCHIVE_SEARCH_LOG_LEVEL": "loud"}, "ARCHIVE_SEARCH_LOG_LEVEL: must be one of debug, info, warning, error"),
        ({"ARCHIVE_SEARCH_LOG_FORMAT": "xml"}, "ARCHIVE_SEARCH_LOG_FORMAT: must be text or json"),
        ({"ARCHIVE_SEARCH_LOG_QUERIES": "maybe"}, "ARCHIVE_SEARCH_LOG_QUERIES: expected true or false"),
        ({"ARCHIVE_SEARCH_METRICS_PORT": "70000"}, "ARCHIVE_SEARCH_METRICS_PORT: must be a TCP port"),
    ],
)
def test_invalid_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(env)


def test_readme_settings_table_matches_the_dataclass() -> None:
    rows = re.findall(r"^\| `(ARCHIVE_SEARCH_[A-Z_]+)` \| (.+?) \| (.+?) \|$", README.read_text(), re.MULTILINE)
    assert rows == settings_table()


def test_cors_origins() -> None:
    assert Settings.from_env({}).cors_origin_list == []
    settings = Settings.from_env({"ARCHIVE_SEARCH_CORS_ORIGINS": "https://a.example, http://b.example:8080/"})
    assert settings.cors_origin_list == ["https://a.example", "http://b.example:8080"]
    assert Settings.from_env({"ARCHIVE_SEARCH_CORS_ORIGINS": "*"}).cors_origin_list == ["*"]
