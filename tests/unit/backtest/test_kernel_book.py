"""The fast kernel's kept-in-order structures, checked against plain recomputation: the ranked
book (each side's priority list, the free-column stack, the reserved margin summed in book
order), the sequence-ordered buy records behind the committed margin, and the chunked skip
scans against a candle-by-candle search."""

# The state arrays keep kernel_layout's one-letter names (F, Z), as in the kernel modules.
# ruff: noqa: N803

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from portfolio_launcher.backtest import kernel_layout as lay
from portfolio_launcher.backtest import kernel_paper as paper
from portfolio_launcher.backtest import kernel_strategy as strat
from portfolio_launcher.backtest.kernel import new_state, touch_close_scan, touch_scan
from portfolio_launcher.backtest.kernel_inputs import KernelMarket, KernelSeries, kernel_inputs
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.strategy.params import SafetyOrders, SpacingParams, StrategyParams

RULES = InstrumentRules("TESTUSDT", tick_size=0.01, qty_step=0.001, min_qty=0.001, min_notional=1)
LEVELS = 5


def _state() -> tuple[np.ndarray, np.ndarray]:
    """A ladder bot's state before its first candle (deposit 1000, leverage 2)."""
    rows = np.full(3, 100.0)
    series = KernelSeries(np.arange(3, dtype=np.int64), rows, rows, rows, rows, np.ones(3))
    params = StrategyParams(
        symbol="TESTUSDT",
        base_amount=10.0,
        leverage=2.0,
        window_size=2,
        safety_orders=SafetyOrders.LADDER,
        max_dca_levels=LEVELS,
        spacing=SpacingParams.fixed(0.01, 1.0),
    )
    market = KernelMarket(RULES, budget=1000.0, initial_balance=1000.0)
    inputs = kernel_inputs(series, params, market, start=0)
    return new_state(inputs.p, inputs.c)  # type: ignore[no-any-return]


def _listed(F: np.ndarray, Z: np.ndarray, row: int, count: int) -> list[int]:
    """Sequences of one side's resting orders, in the order the kernel keeps them."""
    return [int(F[lay.B_SEQ, Z[row, r]]) for r in range(Z[lay.R_G, count])]


def _place(F: np.ndarray, Z: np.ndarray, seq: int, side: int, price: float) -> bool:
    out_f, out_i = np.zeros((lay.NF, 8)), np.zeros((lay.NI, 8), dtype=np.int64)
    order = (float(seq), lay.ROLE_LADDER, 1, 1, 0, side, 0.5, False)
    return bool(paper.place(F, Z, out_f, out_i, order, price))


def _check_book(F: np.ndarray, Z: np.ndarray, buys: list[int], sells: list[int]) -> None:
    assert _listed(F, Z, lay.L_BUY, lay.G_NBUY) == buys
    assert _listed(F, Z, lay.L_SELL, lay.G_NSELL) == sells
    # What the engine sums: every resting order in book priority, recomputed from the book.
    live = [c for c in range(F.shape[1]) if F[lay.B_LIVE, c] != 0.0]
    ranked = sorted(
        (c for c in live if F[lay.B_SIDE, c] == lay.BUY),
        key=lambda c: (-F[lay.B_PRICE, c], F[lay.B_SEQ, c]),
    )
    assert [int(F[lay.B_SEQ, c]) for c in ranked] == buys
    total = 0.0
    for c in ranked:
        total += F[lay.B_RESERVED, c]
    assert F[lay.R_S, lay.S_RESERVED] == total  # the same float, not just close
    width = Z[lay.R_G, lay.G_NFREE] + len(live)
    free = {int(Z[lay.L_FREE, r]) for r in range(Z[lay.R_G, lay.G_NFREE])}
    assert free.isdisjoint(live)
    assert len(free) == Z[lay.R_G, lay.G_NFREE]
    assert width == LEVELS + 2 + 4  # every column is either resting or free
    head = paper.head(Z, lay.BUY)
    assert (int(F[lay.B_SEQ, head]) if head >= 0 else None) == (buys[0] if buys else None)


def test_book_keeps_each_side_in_priority_order() -> None:
    F, Z = _state()
    F[lay.R_S, lay.S_PRICE] = 150.0  # buys below, sells above: all rest
    for seq, price in ((1, 100.0), (2, 102.0), (3, 101.0), (4, 102.0), (5, 99.5)):
        assert _place(F, Z, seq, lay.BUY, price)
    for seq, price in ((6, 212.0), (7, 210.0), (8, 210.0)):
        assert _place(F, Z, seq, lay.SELL, price)
    # Buys: highest first, the older of two at one price first; sells: lowest first.
    _check_book(F, Z, [2, 4, 3, 1, 5], [7, 8, 6])
    assert paper.cancel(F, Z, 3.0)  # from the middle
    assert not paper.cancel(F, Z, 3.0)  # gone
    _check_book(F, Z, [2, 4, 1, 5], [7, 8, 6])
    paper.take(F, Z, paper.head(Z, lay.BUY))  # the head fills
    _check_book(F, Z, [4, 1, 5], [7, 8, 6])
    assert paper.cancel(F, Z, 7.0)
    _check_book(F, Z, [4, 1, 5], [8, 6])
    assert _place(F, Z, 9, lay.BUY, 101.5)  # a freed column again, ranked in the middle
    assert _place(F, Z, 10, lay.BUY, 98.0)
    _check_book(F, Z, [4, 9, 1, 5, 10], [8, 6])
    for seq in (4, 9, 1, 5, 10, 8, 6):
        assert paper.cancel(F, Z, float(seq))
    _check_book(F, Z, [], [])
    assert F[lay.R_S, lay.S_RESERVED] == 0.0


def _committed_by_sorting(F: np.ndarray, Z: np.ndarray, view_close: float) -> float:
    """`machine.committed_margin` as the engine computes it: every open buy record, sorted by
    sequence, added to the position's value in that order."""
    items = []
    for k in range(1, LEVELS + 1):
        if F[lay.D_REC, k] != 0.0:
            items.append((F[lay.D_REC_SEQ, k], F[lay.D_REC_QTY, k] * F[lay.D_REC_PRICE, k]))
    for j in range(lay.MCAP):
        if F[lay.M_LIVE, j] != 0.0 and F[lay.M_SIDE, j] == lay.BUY:
            left = max(0.0, F[lay.M_QTY, j] - F[lay.M_FILLED, j])
            items.append((F[lay.M_SEQ, j], left * view_close))
    value = F[lay.R_S, lay.S_Q] * F[lay.R_S, lay.S_AVG]
    for _, amount in sorted(items):
        value += amount
    return float(value / F[lay.R_P, lay.P_LEVERAGE])


def _open_ladder(F: np.ndarray, Z: np.ndarray, k: int, qty: float, price: float) -> None:
    """A ladder record as `reconcile` creates it: the next sequence, listed last."""
    Z[lay.R_G, lay.G_SEQ] += 1
    F[lay.D_REC, k], F[lay.D_REC_SEQ, k] = 1.0, Z[lay.R_G, lay.G_SEQ]
    F[lay.D_REC_QTY, k], F[lay.D_REC_PRICE, k] = qty, price
    strat._rec_open(Z, k)


def test_committed_margin_adds_records_in_sequence_order() -> None:
    F, Z = _state()
    F[lay.R_S, lay.S_Q], F[lay.R_S, lay.S_AVG] = 1.234, 101.7
    view = 97.3
    rng = random.Random(5)
    _open_ladder(F, Z, 3, 0.7, 95.51)
    strat.place_market(F, Z, lay.ROLE_DCA, 2, lay.BUY, 0.9, 0)  # a market buy in flight
    strat.place_market(F, Z, lay.ROLE_TP_MARKET, 1, lay.SELL, 0.3, 0)  # sells commit nothing
    _open_ladder(F, Z, 1, 0.4, 99.87)
    _open_ladder(F, Z, 2, 0.55, 98.03)
    assert strat.committed_margin(F, Z, view) == _committed_by_sorting(F, Z, view)
    strat.drop_ladder(F, Z, 1)  # the oldest goes
    _open_ladder(F, Z, 1, 0.45, 99.11)  # back with a new sequence: now the newest
    F[lay.M_FILLED, 0] = 0.2
    assert [int(Z[lay.L_REC, r]) for r in range(Z[lay.R_G, lay.G_NREC])] == [3, -1, 2, 1]
    assert strat.committed_margin(F, Z, view) == _committed_by_sorting(F, Z, view)
    for _ in range(200):  # random drops and re-openings keep the order
        k = rng.randint(1, LEVELS)
        if F[lay.D_REC, k] != 0.0:
            strat.drop_ladder(F, Z, k)
        else:
            _open_ladder(F, Z, k, rng.uniform(0.1, 2.0), rng.uniform(90.0, 100.0))
        assert strat.committed_margin(F, Z, view) == _committed_by_sorting(F, Z, view)


def _naive(
    low: np.ndarray,
    high: np.ndarray,
    close: np.ndarray,
    i: int,
    buy: float,
    sell: float,
    below: float,
    above: float,
) -> int:
    for j in range(i, len(low)):
        if low[j] <= buy or high[j] >= sell or close[j] <= below or close[j] >= above:
            return j
    return len(low)


@pytest.mark.parametrize("seed", range(4))
def test_chunked_scans_find_the_first_touching_candle(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 8 * 25 + 5  # whole chunks and a tail
    close = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.002, n))
    low = close * (1.0 - rng.uniform(0.0, 0.003, n))
    high = close * (1.0 + rng.uniform(0.0, 0.003, n))
    if seed % 2:
        low[rng.integers(0, n, 6)] = math.nan  # never compares true, in both tests alike
        high[rng.integers(0, n, 6)] = math.nan
    no = (-math.inf, math.inf)
    for _ in range(300):
        i = int(rng.integers(0, n + 1))
        buy, sell = close.min() * 1.01 - rng.uniform(0, 3), close.max() * 0.99 + rng.uniform(0, 3)
        got = touch_scan(low, high, i, n, buy, sell)
        assert got == _naive(low, high, close, i, buy, sell, *no)
        below, above = buy + rng.uniform(0, 2), sell - rng.uniform(0, 2)
        got = touch_close_scan(low, high, close, i, n, buy, sell, below, above)
        assert got == _naive(low, high, close, i, buy, sell, below, above)
    assert touch_scan(low, high, 0, n, -math.inf, math.inf) == n
