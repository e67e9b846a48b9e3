"""The kernel on a tiny crafted series: a three-level ladder cycle with fills, fees and PnL
computed by hand (base at market, two ladder levels on the path, one gapped through at the
open, the take profit on the way up)."""

from __future__ import annotations

import numpy as np
import pytest

from portfolio_launcher.backtest import kernel_layout as lay
from portfolio_launcher.backtest.kernel_inputs import KernelMarket, KernelSeries
from portfolio_launcher.backtest.sweep import KernelError, run_kernel
from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.strategy.params import SafetyOrders, SpacingParams, StrategyParams

MAKER, TAKER = 0.0002, 0.00055
RULES = InstrumentRules("TESTUSDT", tick_size=0.01, qty_step=0.001, min_qty=0.001, min_notional=1)
MINUTES_5 = 300_000


def _series(rows: list[tuple[float, float, float, float]]) -> KernelSeries:
    a = np.array(rows, dtype=np.float64)
    time = np.arange(len(rows), dtype=np.int64) * MINUTES_5
    return KernelSeries(time, a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.ones(len(rows)))


def _params(**overrides: object) -> StrategyParams:
    base: dict[str, object] = {
        "symbol": "TESTUSDT",
        "base_amount": 100.0,
        "window_size": 2,
        "tp_percent": 0.01,
        "cycle": False,
        "safety_orders": SafetyOrders.LADDER,
        "max_dca_levels": 3,
        "spacing": SpacingParams.fixed(0.01, 1.0, 0.001, 0.2),
    }
    base.update(overrides)
    return StrategyParams(**base)  # type: ignore[arg-type]


SERIES = _series(
    [
        (100.0, 100.0, 100.0, 100.0),  # base at the close: 1.000 @ 100
        (100.0, 100.0, 97.5, 98.0),  # falling: open -> high -> low: L1 @ 99, L2 @ 98.01
        (96.8, 97.5, 96.5, 97.0),  # opens below L3 (97.02): fills at the open, 96.8
        (97.0, 99.6, 97.0, 99.5),  # rising: the take profit at 99.43 fills
        (99.5, 101.0, 99.0, 100.0),  # cycle false: the bot has stopped, nothing more
    ]
)


def test_three_level_ladder_cycle_by_hand() -> None:
    market = KernelMarket(RULES, budget=1000.0, initial_balance=1000.0)
    r = run_kernel(SERIES, _params(), market, start=0, equity=True)
    # Ladder from the base fill: 99.00, 98.01, 97.0299 -> 97.02 (buys round down);
    # quantities floor(100 / price) to 0.001: 1.010, 1.020, 1.030.
    cost = 1.0 * 100.0 + 1.010 * 99.0 + 1.020 * 98.01 + 1.030 * 96.8
    qty = 1.0 + 1.010 + 1.020 + 1.030
    avg = cost / qty  # 98.4394...
    tp = 99.43  # avg * 1.01 = 99.4238... rounded up to the tick
    assert avg * 1.01 == pytest.approx(99.4238, abs=1e-4)
    want = [
        (0, lay.BUY, 100.0, 1.0, 100.0 * 1.0 * TAKER, lay.ROLE_BASE, 0),
        (1, lay.BUY, 99.0, 1.010, 99.0 * 1.010 * MAKER, lay.ROLE_LADDER, 1),
        (1, lay.BUY, 98.01, 1.020, 98.01 * 1.020 * MAKER, lay.ROLE_LADDER, 2),
        (2, lay.BUY, 96.8, 1.030, 96.8 * 1.030 * MAKER, lay.ROLE_LADDER, 3),
        (3, lay.SELL, tp, qty, tp * qty * MAKER, lay.ROLE_TP, 1),
    ]
    assert len(r) == len(want)
    for k, (bar, side, price, q, fee, role, level) in enumerate(want):
        assert r.time[k] == bar * MINUTES_5
        assert (r.side[k], r.role[k], r.level[k]) == (side, role, level)
        assert r.price[k] == pytest.approx(price, rel=1e-12)
        assert r.quantity[k] == pytest.approx(q, rel=1e-12)
        assert r.fee[k] == pytest.approx(fee, rel=1e-9)
    fees = sum(w[4] for w in want)
    pnl = qty * tp - cost  # 4.0216
    assert pnl == pytest.approx(4.0216, abs=1e-9)
    assert r.realized_pnl == pytest.approx(pnl, rel=1e-9)
    assert r.fees == pytest.approx(fees, rel=1e-9)
    assert r.final_equity == pytest.approx(1000.0 + pnl - fees, rel=1e-12)
    assert r.cycles_completed == 1 and r.position == 0.0
    assert r.equity is not None
    # Bar 1: 2.01 held... equity = wallet + unrealized at the close of 98.
    held1 = 1.0 + 1.010 + 1.020
    entry1 = (100.0 + 1.010 * 99.0 + 1.020 * 98.01) / held1
    wallet1 = 1000.0 - (want[0][4] + want[1][4] + want[2][4])
    assert r.equity[1] == pytest.approx(wallet1 + held1 * (98.0 - entry1), rel=1e-12)
    assert r.equity[4] == pytest.approx(r.final_equity, rel=1e-12)


def test_budget_gate_keeps_levels_beyond_the_budget_unplaced() -> None:
    # Budget 250: base (100) + L1 (~100) fit; L2 (~100) would exceed it and is never placed.
    market = KernelMarket(RULES, budget=250.0, initial_balance=1000.0)
    r = run_kernel(SERIES, _params(), market, start=0)
    assert list(r.role) == [lay.ROLE_BASE, lay.ROLE_LADDER, lay.ROLE_TP]
    assert r.price[2] == pytest.approx(100.5, abs=1e-12)  # avg 99.4975 * 1.01 = 100.4925 -> up


def test_stop_loss_sells_at_the_close_with_taker_fee() -> None:
    market = KernelMarket(RULES, budget=1000.0, initial_balance=1000.0)
    r = run_kernel(SERIES, _params(stop_loss_percent=0.005, max_dca_levels=1), market, start=0)
    # Bar 1: L1 @ 99 fills, avg 99.4975; close 98 <= avg * 0.995 -> stop loss at 98.
    assert list(r.role) == [lay.ROLE_BASE, lay.ROLE_LADDER, lay.ROLE_STOP_LOSS]
    assert r.price[2] == 98.0 and r.quantity[2] == pytest.approx(2.01, rel=1e-12)
    assert r.fee[2] == pytest.approx(98.0 * 2.01 * TAKER, rel=1e-12)


def test_liquidation_is_refused_not_simulated() -> None:
    crash = _series([(100.0, 100.0, 100.0, 100.0), (100.0, 100.0, 40.0, 41.0)])
    market = KernelMarket(RULES, budget=1000.0, initial_balance=1000.0)
    params = _params(leverage=2.0, max_dca_levels=1, spacing=SpacingParams.fixed(0.5, 1.0))
    with pytest.raises(KernelError, match="liquidation"):
        run_kernel(crash, params, market, start=0)
