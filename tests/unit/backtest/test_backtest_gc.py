"""A backtest makes the young-generation collections rarer only while it runs."""

from __future__ import annotations

import gc

import pytest

from portfolio_launcher.app.backtest_run import GC_YOUNG_THRESHOLD, rare_collections


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with rare_collections():
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before


def test_thresholds_are_restored_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), rare_collections():
        raise RuntimeError("the backtest failed")
    assert gc.get_threshold() == before
