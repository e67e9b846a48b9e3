"""The fast single-bot backtest kernel: one numba loop over OHLC arrays (issue 7, item 4).

Per candle it does what the full engine does for one bot: the paper exchange walks the candle's
path (`open -> low -> high -> close`, or via the high first on a falling candle) and hands each
resting-order fill to the strategy at once, then the bot decides at the close. The speed comes
from skipping: while nothing can happen (flat and no entry signal; or in position with every
wanted order resting and no close-based trigger near), a tight scan jumps to the first candle
whose low, high or close reaches the next ladder price, take profit, stop loss or liquidation
level. Only those candles run the full logic. Nothing is allocated inside the loop.

What keeps it fast (docs/benchmarks.md has the figures): the skip scan tests eight candles at
a time by their lowest low and highest high; the book keeps each side's orders ranked and a
free-column stack, and the strategy keeps its open buy records in sequence order
(`kernel_layout`'s L rows), so no event searches or re-sorts, and the sums that must add up in a
given order (reserved margin, committed margin) walk only those short lists, in that order,
giving the engine's exact floats; and every function is compiled into the one loop function
`_run` (`kernel_layout.kernel_part`), over two state arrays and without reference counting, so
no event pays for calls. numba's cache of that function checks this file's time stamp only:
after editing another `kernel_*.py` module, delete `__pycache__/kernel*.nb*` or touch this file,
or the old compiled loop keeps running.

Scope (the wrapper enforces it): one long bot on an isolated linear perpetual, no funding, the
portfolio risk limits not binding (the gate's budget rule applies), no liquidation (reaching the
liquidation price stops the run with `ERR_LIQUIDATION`).
"""

# The state arrays keep kernel_layout's one-letter names (F, Z), and numba functions take
# them positionally: hence these rules are off for the kernel modules.
# ruff: noqa: N803, N806, PLR0917

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_launcher.backtest import kernel_paper as paper
from portfolio_launcher.backtest import kernel_strategy as strat
from portfolio_launcher.backtest.kernel_layout import (
    B_PRICE,
    B_REDUCE,
    B_SEQ,
    BUY,
    C_AUTO_TP,
    C_EQUITY,
    C_LADDER,
    C_LEVELS_TABLE,
    C_MAX_LEVELS,
    C_START,
    C_THR_PER_CANDLE,
    C_TP_LEVELS,
    D_REC,
    D_REC_CYCLE,
    ERR_LEVELS,
    ERR_LIQUIDATION,
    F_ROWS,
    G_ACTIVE,
    G_CYCLE,
    G_END,
    G_ERROR,
    G_LEVEL,
    G_NBUY,
    G_NFREE,
    G_NLADDER,
    G_NM,
    G_NSELL,
    G_TIME,
    G_TP_REV,
    G_VIEW,
    L_FREE,
    MCAP,
    NC,
    NG,
    NP,
    NS,
    P_BALANCE,
    P_BASE_AMOUNT,
    P_BUDGET,
    P_MIN_THRESHOLD,
    P_STEP,
    P_STEP_DIV,
    P_STEP_M,
    P_STOP_LOSS,
    QCAP,
    R_C,
    R_G,
    R_P,
    R_S,
    ROLE_BASE,
    ROLE_DCA,
    ROLE_STOP_LOSS,
    ROLE_TP_MARKET,
    S_AVG,
    S_ENTRY,
    S_LAST,
    S_PRICE,
    S_Q,
    S_SIZE,
    S_WALLET,
    SELL,
    T_FILLED,
    T_IN_PLAN,
    T_PRICE,
    T_QTY,
    T_REC,
    T_REC_CYCLE,
    T_REC_REV,
    XCAP,
    Z_ROWS,
    kernel_loop,
    kernel_part,
)
from portfolio_launcher.backtest.kernel_rounding import floor_to_step

_AT_CURSOR = 0
_ON_SEGMENT = 1


@kernel_part
def _equity(F, mark: float) -> float:  # type: ignore[no-untyped-def]
    """The paper account's equity at `mark`: wallet plus the position's unrealized PnL."""
    size = F[R_S, S_SIZE]
    return float(F[R_S, S_WALLET] + (size * (mark - F[R_S, S_ENTRY]) if size != 0.0 else 0.0))


@kernel_part
def _stage(side: int, trigger: float, cursor: float, end: float) -> int:
    """`matching.hit_stage`."""
    if (cursor <= trigger) if side == BUY else (cursor >= trigger):
        return _AT_CURSOR
    if side == BUY:
        return _ON_SEGMENT if end <= trigger else -1
    return _ON_SEGMENT if end >= trigger else -1


@kernel_part
def _earlier(a_stage, a_side, a_price, a_seq, b_stage, b_side, b_price, b_seq, cursor, end) -> bool:  # type: ignore[no-untyped-def]
    """`matching.event_key(a) < event_key(b)`: stage, side being travelled into, distance, seq."""
    if a_stage != b_stage:
        return bool(a_stage < b_stage)
    up = end > cursor
    ra = 0 if (a_side == SELL) == up else 1
    rb = 0 if (b_side == SELL) == up else 1
    if ra != rb:
        return ra < rb
    da = cursor - a_price if a_side == BUY else a_price - cursor
    db = cursor - b_price if b_side == BUY else b_price - cursor
    if da != db:
        return bool(da < db)
    return bool(a_seq < b_seq)


@kernel_part
def _walk(F, Z, out_f, out_i, inp, i: int, levels: int) -> None:  # type: ignore[no-untyped-def]
    """`PaperExchange.process_candle` for candle `i`: fills along the path, each handed over."""
    open_, high, low, close, fac, tpa, thr, pw = inp
    o, h, lo, c = open_[i], high[i], low[i], close[i]
    path = (o, lo, h, c) if c >= o else (o, h, lo, c)
    F[R_S, S_PRICE] = o
    cursor = o
    for seg in range(1, 4):
        end = path[seg]
        while Z[R_G, G_ERROR] == 0:
            best_stage, best_side, best_price, best_seq, best = -1, 0, 0.0, 0.0, -2
            liq = paper.liquidation_price(F)
            if liq > 0.0:
                st = _stage(BUY, liq, cursor, end)
                if st >= 0:
                    best_stage, best_side, best_price, best_seq, best = st, BUY, liq, -1.0, -1
            for side in (BUY, SELL):
                col = paper.head(Z, side)
                if col < 0:
                    continue
                price, seq = F[B_PRICE, col], F[B_SEQ, col]
                st = _stage(side, price, cursor, end)
                if st < 0:
                    continue
                if best == -2 or _earlier(
                    st, side, price, seq, best_stage, best_side, best_price, best_seq, cursor, end
                ):
                    best_stage, best_side, best_price, best_seq, best = st, side, price, seq, col
            if best == -2:
                break
            if best == -1:
                Z[R_G, G_ERROR] = ERR_LIQUIDATION
                return
            order = paper.book_order(F, best)
            paper.take(F, Z, best)
            if F[B_REDUCE, best] != 0.0 and not F[R_S, S_SIZE] > 0.0:
                continue  # a reduce-only order with nothing to reduce is cancelled
            fill_price = cursor if best_stage == _AT_CURSOR else best_price
            paper.execute(F, Z, out_f, out_i, order, fill_price, True, best_price)
            if best_stage == _ON_SEGMENT:
                cursor = best_price
            F[R_S, S_PRICE] = cursor
            strat.drain(F, Z, out_f, out_i, fac, tpa, thr, pw, close, levels)
        cursor = end
        F[R_S, S_PRICE] = cursor


@kernel_part
def _enter(F, Z, role: int, level: int, i: int, inp) -> None:  # type: ignore[no-untyped-def]
    """`machine._enter`: size the entry at the close and plan a market buy if it fits."""
    close, fac, pw = inp[3], inp[4], inp[7]
    price = close[i]
    left = F[R_P, P_BUDGET] - strat.committed_margin(F, Z, price)
    notional = F[R_P, P_BASE_AMOUNT] * fac[i] * pw[level]
    qty = floor_to_step(notional / price, F[R_P, P_STEP], F[R_P, P_STEP_M], F[R_P, P_STEP_DIV])
    if strat.entry_allowed(F, qty, price, left):
        strat.place_market(F, Z, role, level, BUY, qty, 0)


@kernel_part
def _decide(F, Z, passed, inp, i: int) -> None:  # type: ignore[no-untyped-def]
    """`machine.decide` at candle `i`'s close (its intents are planned, not yet sent)."""
    close, thr = inp[3], inp[6]
    Z[R_G, G_VIEW] = i
    c = close[i]
    if F[R_S, S_Q] > 0:
        _in_position(F, Z, passed, inp, i, c, thr)
    elif not strat.has_records(F, Z) and passed[i]:
        _enter(F, Z, ROLE_BASE, 0, i, inp)
    if not strat.closing(F, Z):
        strat.reconcile(F, Z, c)


@kernel_part
def _in_position(F, Z, passed, inp, i: int, c: float, thr) -> None:  # type: ignore[no-untyped-def]
    sl = F[R_P, P_STOP_LOSS]
    if not math.isnan(sl) and c <= F[R_S, S_AVG] * (1 - sl):
        strat.cancel_limits(F, Z)
        strat.place_market(F, Z, ROLE_STOP_LOSS, 0, SELL, F[R_S, S_Q], 0)
        return
    if Z[R_C, C_AUTO_TP] == 0:
        left = F[R_S, S_Q]
        tol = strat.qty_tolerance(F)
        for lv in range(1, Z[R_C, C_TP_LEVELS] + 1):
            remaining = max(0.0, F[T_QTY, lv] - F[T_FILLED, lv])
            if F[T_IN_PLAN, lv] != 0.0 and remaining > 0 and c >= F[T_PRICE, lv] and left > tol:
                qty = min(remaining, left)
                left -= qty
                strat.place_market(F, Z, ROLE_TP_MARKET, lv, SELL, qty, Z[R_G, G_TP_REV])
        if left < F[R_S, S_Q]:
            return
    if Z[R_C, C_LADDER] != 0:
        return
    k = Z[R_G, G_LEVEL] + 1
    if Z[R_C, C_MAX_LEVELS] >= 0 and k > Z[R_C, C_MAX_LEVELS]:
        return
    if k > Z[R_C, C_LEVELS_TABLE]:
        if c <= F[R_S, S_LAST] * (1 - F[R_P, P_MIN_THRESHOLD]):
            Z[R_G, G_ERROR] = ERR_LEVELS
        return
    row = i if Z[R_C, C_THR_PER_CANDLE] != 0 else 0
    if c > F[R_S, S_LAST] * (1 - thr[row, k]) or not passed[i]:
        return
    _enter(F, Z, ROLE_DCA, k, i, inp)


@kernel_part
def _settled(F, Z) -> bool:  # type: ignore[no-untyped-def]
    """In position with exactly the orders `_reconcile` wants resting: a decision that meets
    no close-based trigger changes nothing, so candles that touch no order can be skipped."""
    if Z[R_G, G_NM] != 0:
        return False
    cycle, rev, auto = Z[R_G, G_CYCLE], Z[R_G, G_TP_REV], Z[R_C, C_AUTO_TP] != 0
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        wanted = auto and F[T_IN_PLAN, i] != 0.0 and F[T_QTY, i] - F[T_FILLED, i] > 0
        rec = F[T_REC, i] != 0.0
        if rec != wanted or (rec and (F[T_REC_CYCLE, i] != cycle or F[T_REC_REV, i] != rev)):
            return False
    ladder = Z[R_C, C_LADDER] != 0
    for k in range(1, Z[R_C, C_LEVELS_TABLE] + 1):
        rec = F[D_REC, k] != 0.0
        if rec and (not ladder or F[D_REC_CYCLE, k] != cycle):
            return False
        if ladder and Z[R_G, G_LEVEL] < k <= Z[R_G, G_NLADDER] and not rec:
            return False
    return True


@kernel_part
def _scan(F, Z, passed, inp, i: int) -> int:  # type: ignore[no-untyped-def]
    """The first candle from `i` on where anything can happen (len when none)."""
    high, low, close, thr = inp[1], inp[2], inp[3], inp[6]
    n = close.shape[0]
    if F[R_S, S_Q] == 0.0 and F[R_S, S_SIZE] == 0.0:
        if strat.has_records(F, Z) or Z[R_G, G_NBUY] + Z[R_G, G_NSELL] > 0:
            return i
        for j in range(i, n):
            if passed[j]:
                return j
        return int(n)
    if F[R_S, S_Q] <= 0.0 or not _settled(F, Z):
        return i
    col = paper.head(Z, BUY)
    buy_trig = max(F[B_PRICE, col] if col >= 0 else -math.inf, paper.liquidation_price(F))
    col = paper.head(Z, SELL)
    sell_trig = F[B_PRICE, col] if col >= 0 else math.inf
    close_lo, close_hi = -math.inf, math.inf
    sl = F[R_P, P_STOP_LOSS]
    if not math.isnan(sl):
        close_lo = F[R_S, S_AVG] * (1 - sl)
    k = Z[R_G, G_LEVEL] + 1
    if Z[R_C, C_LADDER] == 0 and (Z[R_C, C_MAX_LEVELS] < 0 or k <= Z[R_C, C_MAX_LEVELS]):
        fixed = Z[R_C, C_THR_PER_CANDLE] == 0 and k <= Z[R_C, C_LEVELS_TABLE]
        step = thr[0, k] if fixed else F[R_P, P_MIN_THRESHOLD]
        close_lo = max(close_lo, F[R_S, S_LAST] * (1 - step))
    if Z[R_C, C_AUTO_TP] == 0:
        for lv in range(1, Z[R_C, C_TP_LEVELS] + 1):
            if F[T_IN_PLAN, lv] != 0.0 and F[T_QTY, lv] - F[T_FILLED, lv] > 0:
                close_hi = min(close_hi, F[T_PRICE, lv])
    if close_lo == -math.inf and close_hi == math.inf:
        return touch_scan(low, high, i, n, buy_trig, sell_trig)
    return touch_close_scan(low, high, close, i, n, buy_trig, sell_trig, close_lo, close_hi)


_CHUNK = 8  # candles a skip scan tests at once


@kernel_part
def touch_scan(low, high, i: int, n: int, buy: float, sell: float) -> int:  # type: ignore[no-untyped-def]
    """The first candle from `i` whose low reaches `buy` or whose high reaches `sell` (n when
    none). A chunk's lowest low and highest high (branch-free min/max chains) are tested
    first; only the chunk that reaches a price is searched candle by candle. A NaN is skipped
    by both tests alike (it never compares true)."""
    j = max(i, 0)
    while j + _CHUNK <= n:
        lo, hi = math.inf, -math.inf
        for k in range(j, j + _CHUNK):
            x, y = low[k], high[k]
            lo = x if x < lo else lo
            hi = y if y > hi else hi
        if lo <= buy or hi >= sell:
            break
        j += _CHUNK
    while j < n:
        if low[j] <= buy or high[j] >= sell:
            return j
        j += 1
    return n


@kernel_part
def touch_close_scan(  # type: ignore[no-untyped-def]
    low, high, close, i: int, n: int, buy: float, sell: float, below: float, above: float
) -> int:
    """`touch_scan`, or else the first candle whose close is at or below `below` or at or above
    `above`."""
    j = max(i, 0)
    while j + _CHUNK <= n:
        lo, hi, clo, chi = math.inf, -math.inf, math.inf, -math.inf
        for k in range(j, j + _CHUNK):
            x, y, c = low[k], high[k], close[k]
            lo = x if x < lo else lo
            hi = y if y > hi else hi
            clo = c if c < clo else clo
            chi = c if c > chi else chi
        if lo <= buy or hi >= sell or clo <= below or chi >= above:
            break
        j += _CHUNK
    while j < n:
        c = close[j]
        if low[j] <= buy or high[j] >= sell or c <= below or c >= above:
            return j
        j += 1
    return n


@njit(cache=True)
def run_arrays(time, passed, inp, P, C, out_f, out_i, equity):  # type: ignore[no-untyped-def]
    """Run one bot over the series; returns the float and int state (`kernel_layout`'s S and G).

    `inp` = (open, high, low, close, size factor, TP percent, threshold table, volume-scale
    powers); `equity` (length n, or 0 when not wanted) receives the account equity per bar.
    """
    F, Z = new_state(P, C)
    _run(time, passed, inp, out_f, out_i, equity, F, Z)
    return F[R_S, :NS].copy(), Z[R_G, :NG].copy()


@njit(cache=True)
def new_state(P, C):  # type: ignore[no-untyped-def]
    """The state arrays (F, Z) of a bot before its first candle: parameters copied in, the
    deposit in the wallet, every book column free."""
    K = C[C_LEVELS_TABLE]
    width = C[C_TP_LEVELS] + 1 + K + 4  # book columns: every TP level and ladder level, spare
    F = np.zeros((F_ROWS, max(NP, K + 1, MCAP, QCAP, XCAP, width)))
    Z = np.zeros((Z_ROWS, max(NG, NC, width + MCAP)), dtype=np.int64)
    F[R_P, :NP] = P
    Z[R_C, :NC] = C
    for c in range(width):
        Z[L_FREE, c] = width - 1 - c
    Z[R_G, G_NFREE] = width
    F[R_S, S_WALLET] = P[P_BALANCE]
    Z[R_G, G_ACTIVE], Z[R_G, G_CYCLE] = 1, 1
    Z[R_G, G_VIEW] = max(C[C_START] - 1, 0)
    return F, Z


@kernel_loop
def _run(time, passed, inp, out_f, out_i, equity, F, Z) -> None:  # type: ignore[no-untyped-def]
    """The candle loop over the state `new_state` made."""
    close = inp[3]
    n = close.shape[0]
    levels = Z[R_C, C_MAX_LEVELS] if Z[R_C, C_LADDER] != 0 else 0
    start = Z[R_C, C_START]
    want_equity = Z[R_C, C_EQUITY] != 0
    if want_equity:
        for j in range(min(start, n)):
            equity[j] = F[R_P, P_BALANCE]
    i = start
    while i < n and Z[R_G, G_ERROR] == 0:
        if Z[R_G, G_ACTIVE] == 0:
            j = n if Z[R_G, G_NBUY] + Z[R_G, G_NSELL] == 0 else i
        else:
            j = _scan(F, Z, passed, inp, i)
        if j > i:
            if want_equity:
                for b in range(i, j):
                    equity[b] = _equity(F, close[b])
            Z[R_G, G_VIEW] = j - 1
            F[R_S, S_PRICE] = close[j - 1]
            i = j
            if i >= n:
                break
        Z[R_G, G_TIME] = time[i]
        _walk(F, Z, out_f, out_i, inp, i, levels)
        F[R_S, S_PRICE] = close[i]
        if Z[R_G, G_ACTIVE] != 0 and Z[R_G, G_ERROR] == 0:
            _decide(F, Z, passed, inp, i)
            strat.send(F, Z, out_f, out_i, close[i])
            strat.drain(
                F, Z, out_f, out_i, inp[4], inp[5], inp[6], inp[7],
                close, levels,
            )  # fmt: skip
        if want_equity:
            equity[i] = _equity(F, close[i])
        Z[R_G, G_END] = i
        i += 1
