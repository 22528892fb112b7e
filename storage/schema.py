"""The whole schema: imports every storage module, so each one's tables are in Base.metadata."""
import importlib
import pkgutil

import storage
from storage.models import Base

for module in pkgutil.iter_modules(storage.__path__):
    if module.name not in ("schema", "migrations"):
        importlib.import_module(f"storage.{module.name}")

metadata = Base.metadata
