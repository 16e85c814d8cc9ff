"""The ASGI entry point: `uvicorn app:app`. Settings come from the environment."""

from helpline.config import Settings
from helpline.helpline import build
from helpline.web.app import create_app

app = create_app(build(Settings.from_env()))
