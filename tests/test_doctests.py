"""The examples in module docstrings run, as shapely runs its own (REVIEW: doctests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import deconflict


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(deconflict.__path__, "deconflict."):
        if info.name.startswith("deconflict.store.migrations"):
            continue
        spec = importlib.util.find_spec(info.name)
        origin = spec.origin if spec is not None else None
        if origin and origin.endswith(".py"):
            with open(origin, encoding="utf-8") as f:
                if ">>> " in f.read():
                    names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_examples_are_found() -> None:
    assert "deconflict.tactical.detector" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
