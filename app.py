"""The ASGI entry point: `uvicorn app:app`. Settings come from the environment.

On the embedded SQLite the schema is brought up to date here, so a plain
`uvicorn app:app` works on a fresh checkout; PostgreSQL is migrated by the
Procfile's release step (`helpline db upgrade`).
"""

from helpline.config import Settings
from helpline.helpline import build
from helpline.storage.migrations import upgrade
from helpline.web.app import create_app, freeze_start_up

settings = Settings.from_env()
helpline = build(settings)
if settings.database_url.startswith("sqlite"):
    upgrade(settings.database_url)
app = create_app(helpline)
freeze_start_up()
