"""Process start-up for the API: read settings, set up logging, bind the database."""

from __future__ import annotations

import logging

import falcon

from api.app import create_app
from core.logs import configure_logging
from core.settings import load_or_exit
from models.db import bind

logger = logging.getLogger(__name__)


def build_app() -> falcon.App:
    settings = load_or_exit()
    configure_logging(settings.log_level)
    if settings.uses_development_secret:
        logger.warning(
            "API_KEY_SECRET is not set: using the development value, unfit for production"
        )
    bind(settings.database_url)
    return create_app(settings)
