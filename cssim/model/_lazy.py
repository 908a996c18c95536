"""Heavy libraries imported on first use, so ``import cssim`` and ``cssim --help`` stay quick.

``pd = LazyModule("pandas")`` binds a name that behaves like the module: the first attribute read
(``pd.DataFrame``) imports it, later reads go straight to the module. Type annotations are strings
(``from __future__ import annotations``), so they never trigger the import.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["LazyModule", "pandas", "scipy_special", "scipy_stats"]


class LazyModule:
    """A stand-in for the module ``name``, imported when one of its attributes is first read."""

    def __init__(self, name: str):
        self.__dict__["_name"] = name
        self.__dict__["_module"] = None

    def _load(self) -> ModuleType:
        module = self.__dict__["_module"]
        if module is None:
            module = importlib.import_module(self.__dict__["_name"])
            self.__dict__["_module"] = module
        return module

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "imported" if self.__dict__["_module"] is not None else "not yet imported"
        return f"<lazy module {self.__dict__['_name']!r} ({state})>"


pandas = LazyModule("pandas")
scipy_special = LazyModule("scipy.special")
scipy_stats = LazyModule("scipy.stats")
