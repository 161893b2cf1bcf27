"""The one import point for table models: Alembic and the tests load every model from here.

Every `models.py` under `app/` is imported, so a new module cannot be forgotten.
"""

import importlib
import pkgutil

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import app


def load_all_models() -> MetaData:
    # Core's audit tables are not in a `models` module: core must not import app.audit.
    importlib.import_module("app.core.audit.tables")
    for info in pkgutil.walk_packages(app.__path__, prefix="app."):
        if info.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(info.name)
    return SQLModel.metadata
