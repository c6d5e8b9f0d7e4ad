"""The unit tier: pure rules and reports, no app, no database, no browser.

The check below keeps it that way: a test here that pulls in the web app, the
tables or the ORM makes the whole tier fail, so `make test-fast` stays fast.
"""

import sys
from pathlib import Path

import pytest

FORBIDDEN = ("api", "models", "piccolo", "litestar")


def pytest_collection_finish(session: pytest.Session) -> None:
    here = Path(__file__).parent
    if any(here not in Path(item.path).parents for item in session.items):
        return  # run together with the app tier, whose conftest imports the app
    loaded = sorted({name.split(".")[0] for name in sys.modules} & set(FORBIDDEN))
    if loaded:
        raise pytest.UsageError(f"the unit tier imported {', '.join(loaded)}: move that test to tests/app/")
