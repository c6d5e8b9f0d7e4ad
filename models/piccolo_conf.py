"""Piccolo configuration: the engine comes from ``DATABASE_URL``."""

import os

from piccolo.conf.apps import AppRegistry

from models.engine import engine_from_url

DEFAULT_DATABASE_URL = "sqlite:///data/assets.sqlite"

DB = engine_from_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)

APP_REGISTRY = AppRegistry(apps=["models.piccolo_app"])
