"""Developer tool: autogenerate a migration for one service against a throwaway database.

python -m medrec_devstack.makemigration identity "initial schema"
"""

import sys
import tempfile
from pathlib import Path

import asyncpg
from alembic import command

from medrec_devstack.infra import start_infra
from medrec_shared.platform.migrations import alembic_config


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    import asyncio

    state = Path(tempfile.mkdtemp(prefix="medrec-mig-"))
    infra = start_infra(state)
    try:

        async def create() -> None:
            conn = await asyncpg.connect(infra.database_url.replace("+asyncpg", "") + "/postgres")
            await conn.execute(f'CREATE DATABASE "scratch_{service}"')
            await conn.close()

        asyncio.run(create())
        url = f"{infra.database_url}/scratch_{service}"
        service_dir = Path(__file__).resolve().parents[2] / "services" / service
        config = alembic_config(service_dir, url, f"alembic_version_{service}")
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    finally:
        infra.stop()


if __name__ == "__main__":
    main()
