"""All configuration in one place, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from models.piccolo_conf import DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    # Public address printed into QR labels: what a phone opens when it scans one.
    base_url: str = field(default_factory=lambda: os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/"))
    host: str = field(default_factory=lambda: os.environ.get("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PORT", "8000")))
    # Largest JSON body accepted (bytes); spreadsheet uploads have their own limit (10 MB).
    max_body_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024))))
    # Other origins whose pages may post to the app with its session cookie (comma-separated), e.g.
    # "http://localhost:8000" beside BASE_URL in development. Forms and fetches from any other
    # origin are refused (api/csrf.py).
    trusted_origins: tuple[str, ...] = field(
        default_factory=lambda: tuple(o.strip() for o in os.environ.get("TRUSTED_ORIGINS", "").split(",") if o.strip())
    )
    # Mount the bare-driver baseline routes used by the look-up benchmark.
    bench_raw_routes: bool = field(default_factory=lambda: os.environ.get("BENCH_RAW_ROUTES") == "1")
    # Server processes of ``python -m api serve`` (``make run``): one per core by default.
    workers: int = field(default_factory=lambda: int(os.environ.get("WORKERS") or os.cpu_count() or 1))
    # Seconds a worker trusts a token it has checked: a token revoked (or a user
    # deactivated) through another worker stops working there within this time.
    token_cache_seconds: float = field(default_factory=lambda: float(os.environ.get("TOKEN_CACHE_SECONDS", "5")))
    # Serve cookies only over HTTPS when the public address is HTTPS.
    secure_cookies: bool = field(default_factory=lambda: os.environ.get("BASE_URL", "").startswith("https://"))


def load() -> Settings:
    return Settings()
