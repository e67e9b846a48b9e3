"""Loading the `custom` allocation strategy's `package.module:function` plug-in."""

from __future__ import annotations

import importlib
from typing import cast

from portfolio_launcher.core.errors import ConfigError
from portfolio_launcher.portfolio.allocation import CustomAllocator


def load_allocator(spec: str) -> CustomAllocator:
    """Import `package.module:function`; a clear ConfigError naming the field when it fails."""
    module_name, _, function = spec.partition(":")
    where = f"portfolio.custom_allocator: {spec!r}"
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any import failure is the user's plug-in, not a crash of ours
        raise ConfigError(f"{where}: cannot import {module_name} ({type(e).__name__}: {e})") from e
    target = getattr(module, function, None)
    if not callable(target):
        raise ConfigError(f"{where}: {module_name} has no function {function}")
    return cast(CustomAllocator, target)
