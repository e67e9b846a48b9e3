"""Run the fast kernel for one parameter set, or sweep many over one candle series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portfolio_launcher.backtest import kernel_layout as lay
from portfolio_launcher.backtest.kernel import run_arrays
from portfolio_launcher.backtest.kernel_inputs import (
    KernelInputs,
    KernelMarket,
    KernelSeries,
    WindowSignals,
    kernel_inputs,
    signal_key,
    window_signals,
)
from portfolio_launcher.strategy.params import StrategyParams

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_INITIAL_FILLS = 4096


class KernelError(RuntimeError):
    """The kernel met something outside its scope (e.g. a liquidation); use the full engine."""


@dataclass(frozen=True, slots=True, eq=False)
class KernelResult:
    """Fills in execution order and the account at the end.

    `side` is +1 buy / -1 sell; `role` uses `kernel_layout.ROLE_*` (`ROLE_NAMES` names them);
    `level` is the DCA level of an entry or the index of a take-profit level (0 otherwise).
    `final_equity` is the paper account's equity at the last close (deposit + realized - fees +
    unrealized); `equity` holds it per bar when asked for.
    """

    time: I64
    side: I64
    price: F64
    quantity: F64
    fee: F64
    role: I64
    level: I64
    final_equity: float
    equity: F64 | None
    realized_pnl: float
    fees: float
    cycles_completed: int
    position: float
    candles: int

    def __len__(self) -> int:
        return int(self.time.shape[0])


def run_inputs(inputs: KernelInputs) -> KernelResult:
    """Run the kernel on precomputed inputs (growing the fill buffer when it fills up)."""
    s = inputs.series
    n = len(s)
    capacity = _INITIAL_FILLS
    arrays = (s.open, s.high, s.low, s.close, inputs.factor, inputs.tp_percent)
    inp = (*arrays, inputs.thresholds, inputs.powers)
    want_equity = inputs.c[lay.C_EQUITY] != 0
    while True:
        out_f = np.zeros((lay.NF, capacity))
        out_i = np.zeros((lay.NI, capacity), dtype=np.int64)
        equity = np.zeros(n if want_equity else 0)
        state, g = run_arrays(s.time, inputs.passed, inp, inputs.p, inputs.c, out_f, out_i, equity)
        error = int(g[lay.G_ERROR])
        if error != lay.ERR_FILLS:
            break
        capacity *= 4
    if error != lay.ERR_NONE:
        at = int(s.time[int(g[lay.G_END])]) if n else 0
        raise KernelError(f"{lay.ERROR_TEXT[error]} (near candle {at})")
    m = int(g[lay.G_NFILLS])
    last = float(s.close[-1]) if n else 0.0
    size = float(state[lay.S_SIZE])
    unrealized = size * (last - float(state[lay.S_ENTRY])) if size != 0.0 else 0.0
    return KernelResult(
        time=out_i[lay.I_TIME, :m].copy(),
        side=out_i[lay.I_SIDE, :m].copy(),
        price=out_f[lay.F_PRICE, :m].copy(),
        quantity=out_f[lay.F_QTY, :m].copy(),
        fee=out_f[lay.F_FEE, :m].copy(),
        role=out_i[lay.I_ROLE, :m].copy(),
        level=out_i[lay.I_LEVEL, :m].copy(),
        final_equity=float(state[lay.S_WALLET]) + unrealized,
        equity=equity if want_equity else None,
        realized_pnl=float(state[lay.S_PAPER_REALIZED]),
        fees=float(state[lay.S_PAPER_FEES]),
        cycles_completed=int(g[lay.G_CYCLES]),
        position=size,
        candles=n - int(inputs.c[lay.C_START]),
    )


def run_kernel(
    series: KernelSeries,
    params: StrategyParams,
    market: KernelMarket,
    *,
    start: int = 0,
    signals: WindowSignals | None = None,
    equity: bool = False,
) -> KernelResult:
    """One bot over `series`, trading from candle `start` (earlier candles warm the window up),
    with the semantics of the full engine for an isolated linear position."""
    return run_inputs(
        kernel_inputs(series, params, market, start=start, signals=signals, equity=equity)
    )


def sweep(
    series: KernelSeries,
    param_sets: Sequence[StrategyParams],
    market: KernelMarket,
    *,
    start: int = 0,
    equity: bool = False,
) -> list[KernelResult]:
    """Every parameter set over one series; the entry signal is evaluated once per distinct
    (indicators, min_confidence, window_size) and shared."""
    cache: dict[tuple[object, ...], WindowSignals] = {}
    results = []
    for params in param_sets:
        key = signal_key(params)
        if key not in cache:
            cache[key] = window_signals(series, params, start)
        results.append(
            run_kernel(series, params, market, start=start, signals=cache[key], equity=equity)
        )
    return results
