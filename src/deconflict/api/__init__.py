"""The HTTP API: FastAPI routes (thin), JSON schemas and the error table."""

from deconflict.api.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
