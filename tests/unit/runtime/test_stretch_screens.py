"""`QuietStretches` asks its services' screens in a given order; an order that is not a
permutation of the services is a wiring mistake, refused before anything is built."""

from __future__ import annotations

from typing import Any, cast

import pytest

from portfolio_launcher.runtime.stretch import QuietStretches, StretchService


@pytest.mark.parametrize("order", [[0, 0, 1], [0, 1], [0, 1, 3], [1, 2, 0, 0]])
def test_a_screen_order_must_name_each_service_once(order: list[int]) -> None:
    services = [cast(StretchService, object()) for _ in range(3)]
    with pytest.raises(ValueError, match="screen_order"):
        QuietStretches(
            feed=cast(Any, None),
            slots=[],
            paper=cast(Any, None),
            services=services,
            interval_ms=300_000,
            end_ms=None,
            screen_order=order,
        )
