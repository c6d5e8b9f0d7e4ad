"""Gate: the tables in models/ and the migrations agree.

Runs Piccolo's own auto-migration diff against a scratch SQLite file; if it would
write a migration, the migration is removed again and the gate fails, naming it.
Run as ``python -m tests.support.migrations_in_sync`` (``make lint`` does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[2] / "models" / "migrations"


def main() -> int:
    before = set(MIGRATIONS.glob("*.py"))
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "PICCOLO_CONF": "models.piccolo_conf", "DATABASE_URL": f"sqlite:///{scratch}/x.sqlite"}
        run = subprocess.run(
            [sys.executable, "-m", "piccolo.main", "migrations", "new", "assets", "--auto"],
            env=env,
            capture_output=True,
            text=True,
        )
    written = sorted(set(MIGRATIONS.glob("*.py")) - before)
    for path in written:
        path.unlink()
    if run.returncode != 0 or written or "No changes detected" not in run.stdout:
        print(run.stdout[-2000:], run.stderr[-2000:], sep="\n")
        print("The tables in models/ changed without a migration:", ", ".join(p.name for p in written) or "(see above)")
        print("Write one: PICCOLO_CONF=models.piccolo_conf piccolo migrations new assets --auto")
        return 1
    print("migrations in sync with models/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
