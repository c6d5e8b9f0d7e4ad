"""Exit 0 when PostgreSQL answers at the URL given, 1 otherwise (used by make test)."""

import asyncio
import sys

import asyncpg


async def main(url: str) -> int:
    try:
        connection = await asyncio.wait_for(asyncpg.connect(url), timeout=5)
    except Exception:
        return 1
    await connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
