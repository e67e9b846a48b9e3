"""The close history's ring: per-bot returns and the one-slice aligned form agree value for
value, through wrap-around, warm-up and bots that skip a step."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.core.market import Candle
from portfolio_launcher.runtime.bot_runner import BotRunner
from portfolio_launcher.runtime.close_history import CloseHistory
from portfolio_launcher.runtime.stretch import StretchFigures


@dataclass
class _Window:
    last_time: int | None


@dataclass
class _Runner:
    """What `observe` reads of a runner: its id, its window's newest time and its mark."""

    bot_id: str
    window: _Window
    mark: float


def _candles(closes: list[float]) -> list[Candle]:
    return [Candle(i * 60_000, c, c, c, c, 1.0) for i, c in enumerate(closes)]


def _expected(closes: list[float], size: int, count: int | None) -> np.ndarray:
    kept = [c for c in closes if c > 0][-size:]
    n = len(kept) if count is None else min(len(kept), count + 1)
    logs = np.array([math.log(c) for c in kept[len(kept) - n :]])
    return np.diff(logs) if n > 1 else np.empty(0)


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    warm=st.lists(st.floats(0.5, 200.0), max_size=20),
    steps=st.lists(st.tuples(st.floats(0.5, 200.0), st.booleans()), min_size=0, max_size=40),
    count=st.integers(1, 14),
)
def test_returns_match_a_plain_list_and_the_aligned_block(
    sizes: list[int],
    warm: list[float],
    steps: list[tuple[float, bool]],
    count: int,
) -> None:
    ids = [f"bot{i}" for i in range(len(sizes))]
    history = CloseHistory(dict(zip(ids, sizes, strict=True)))
    seen: dict[str, list[float]] = {}
    for b in ids:
        history.warm_up(b, _candles(warm))
        seen[b] = list(warm)
    runners = [_Runner(b, _Window(len(warm) * 60_000 - 60_000 if warm else None), 0.0) for b in ids]
    # `observe` is typed for BotRunner but reads only what `_Runner` stands in for.
    observed = cast(Sequence[BotRunner], runners)
    t = len(warm)
    for k, (price, skip_first) in enumerate(steps):
        t += 1
        for i, r in enumerate(runners):
            if skip_first and i == 0:
                continue  # bot0's candle did not close this step
            r.window.last_time = t * 60_000
            r.mark = price * (1 + i / 10)
            seen[r.bot_id].append(r.mark)
        history.observe(observed)
        history.observe(observed)  # a second look at the same step takes nothing
        del k
    for b, size in zip(ids, sizes, strict=True):
        got = history.log_returns(b, count)
        assert np.array_equal(got, _expected(seen[b], size, count))
        assert np.array_equal(history.log_returns(b), _expected(seen[b], size, None))
    block = history.aligned_log_returns(ids, count)
    lengths = {len(_expected(seen[b], s, count)) for b, s in zip(ids, sizes, strict=True)}
    if block is not None:
        for row, b in zip(block, ids, strict=True):
            assert np.array_equal(row, history.log_returns(b, count))
    elif len(set(sizes)) == 1 and not any(skip for _, skip in steps) and lengths != {0}:
        raise AssertionError("same sizes and no skipped step must give the aligned block")


def test_a_subset_in_any_order_is_aligned_row_by_row() -> None:
    history = CloseHistory({"a": 5, "b": 5, "c": 5})
    for b, base in (("a", 10.0), ("b", 20.0), ("c", 30.0)):
        history.warm_up(b, _candles([base + i for i in range(8)]))
    block = history.aligned_log_returns(["c", "a"], 3)
    assert block is not None and block.shape == (2, 3)
    assert np.array_equal(block[0], history.log_returns("c", 3))
    assert np.array_equal(block[1], history.log_returns("a", 3))
    assert np.allclose(block[1], np.diff(np.log([14.0, 15.0, 16.0, 17.0])))


def _figures(ids: list[str], closes: np.ndarray, first_open: int) -> StretchFigures:
    steps = closes.shape[1]
    open_times = first_open + 60_000 * np.arange(steps, dtype=np.int64)
    zeros = np.zeros_like(closes)
    flat = np.zeros(len(ids))
    return StretchFigures(
        bot_ids=tuple(ids),
        times=open_times + 60_000,
        open_times=open_times,
        closes=closes,
        realized=flat,
        quantity=flat,
        unrealized=zeros,
        pnl=zeros,
        pnl_sum=np.zeros(steps),
        account_equity=None,
    )


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    warm=st.lists(st.integers(0, 15), min_size=4, max_size=4),
    chunks=st.lists(st.tuples(st.integers(1, 30), st.integers(0, 30)), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_absorbing_a_stretch_is_observing_each_step(
    sizes: list[int], warm: list[int], chunks: list[tuple[int, int]], seed: int
) -> None:
    """`absorb` of a stretch's steps leaves every ring as `observe` at each step does (bots of
    one size share one write; different sizes or warm-ups are written row by row)."""
    rng = np.random.default_rng(seed)
    ids = [f"bot{i}" for i in range(len(sizes))]
    stepwise = CloseHistory(dict(zip(ids, sizes, strict=True)))
    at_once = CloseHistory(dict(zip(ids, sizes, strict=True)))
    for b, n in zip(ids, warm[: len(ids)], strict=True):
        candles = _candles(rng.uniform(1.0, 100.0, n).tolist())
        stepwise.warm_up(b, candles)
        at_once.warm_up(b, candles)
    runners = [_Runner(b, _Window(None), 0.0) for b in ids]
    t = 100
    for steps, wanted in chunks:
        closes = rng.uniform(1.0, 100.0, (len(ids), steps))
        absorbed = min(wanted, steps)
        for j in range(absorbed):
            for i, r in enumerate(runners):
                r.window.last_time = (t + j) * 60_000
                r.mark = float(closes[i, j])
            stepwise.observe(runners)  # type: ignore[arg-type]
        at_once.absorb(_figures(ids, closes, t * 60_000), absorbed)
        t += absorbed
    for b in ids:
        assert np.array_equal(stepwise.log_returns(b), at_once.log_returns(b))
        assert stepwise.taken(b) == at_once.taken(b)
    stepwise_logs, at_once_logs = stepwise.last_logs(ids, 1), at_once.last_logs(ids, 1)
    if stepwise_logs is None or at_once_logs is None:  # too short a history: both say so
        assert stepwise_logs is None and at_once_logs is None
    else:
        assert np.array_equal(stepwise_logs, at_once_logs)


def test_a_close_math_log_refuses_is_refused_before_anything_is_written() -> None:
    """The compiled ring write takes each close's log as `math.log` does; a close it refuses
    (zero or negative) raises its error and leaves the rings as they were."""
    history = CloseHistory({"a": 4, "b": 4})
    history.absorb(_figures(["a", "b"], np.array([[1.0, 2.0], [3.0, 4.0]]), 0), 2)
    before = history.aligned_logs(["a", "b"], 3)
    assert before is not None
    kept = before.copy()
    with pytest.raises(ValueError, match="math domain error"):
        history.absorb(_figures(["a", "b"], np.array([[5.0], [0.0]]), 120_000), 1)
    assert history.taken("a") == 2
    after = history.aligned_logs(["a", "b"], 3)
    assert after is not None
    assert np.array_equal(after, kept)
    assert kept.tolist() == [[0.0, math.log(2.0)], [math.log(3.0), math.log(4.0)]]
