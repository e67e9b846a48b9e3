"""The fast single-bot backtest kernel: one numba loop over OHLC arrays (issue 7, item 4).

Per candle it does what the full engine does for one bot: the paper exchange walks the candle's
path (`open -> low -> high -> close`, or via the high first on a falling candle) and hands each
resting-order fill to the strategy at once, then the bot decides at the close. The speed comes
from skipping: while nothing can happen (flat and no entry signal; or in position with every
wanted order resting and no close-based trigger near), a tight scan jumps to the first candle
whose low, high or close reaches the next ladder price, take profit, stop loss or liquidation
level. Only those candles run the full logic. Nothing is allocated inside the loop.

Scope (the wrapper enforces it): one long bot on an isolated linear perpetual, no funding, the
portfolio risk limits not binding (the gate's budget rule applies), no liquidation (reaching the
liquidation price stops the run with `ERR_LIQUIDATION`).
"""

# The state arrays keep the one-letter names of kernel_layout (P, C, S, G, T, D, M, B, Q, X),
# and numba functions take them positionally: hence these rules are off for the kernel modules.
# ruff: noqa: N803, N806, PLR0917

from __future__ import annotations

import math

import numpy as np
from numba import njit

from portfolio_launcher.backtest import kernel_paper as paper
from portfolio_launcher.backtest import kernel_strategy as strat
from portfolio_launcher.backtest.kernel_layout import (
    B_LIVE,
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
    G_ACTIVE,
    G_CYCLE,
    G_END,
    G_ERROR,
    G_LEVEL,
    G_NLADDER,
    G_TIME,
    G_TP_REV,
    G_VIEW,
    M_LIVE,
    MCAP,
    NB,
    ND,
    NG,
    NM,
    NQ,
    NS,
    NT,
    NX,
    P_BALANCE,
    P_BASE_AMOUNT,
    P_BUDGET,
    P_MIN_THRESHOLD,
    P_STEP,
    P_STEP_DIV,
    P_STEP_M,
    P_STOP_LOSS,
    QCAP,
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
)
from portfolio_launcher.backtest.kernel_rounding import floor_to_step

_AT_CURSOR = 0
_ON_SEGMENT = 1


@njit(cache=True)
def _equity(S, mark: float) -> float:  # type: ignore[no-untyped-def]
    """The paper account's equity at `mark`: wallet plus the position's unrealized PnL."""
    size = S[S_SIZE]
    return float(S[S_WALLET] + (size * (mark - S[S_ENTRY]) if size != 0.0 else 0.0))


@njit(cache=True)
def _stage(side: int, trigger: float, cursor: float, end: float) -> int:
    """`matching.hit_stage`."""
    if (cursor <= trigger) if side == BUY else (cursor >= trigger):
        return _AT_CURSOR
    if side == BUY:
        return _ON_SEGMENT if end <= trigger else -1
    return _ON_SEGMENT if end >= trigger else -1


@njit(cache=True)
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


@njit(cache=True)
def _walk(P, C, S, G, T, D, M, B, Q, X, out_f, out_i, inp, i: int, levels: int) -> None:  # type: ignore[no-untyped-def]
    """`PaperExchange.process_candle` for candle `i`: fills along the path, each handed over."""
    open_, high, low, close, fac, tpa, thr, pw = inp
    o, h, lo, c = open_[i], high[i], low[i], close[i]
    path = (o, lo, h, c) if c >= o else (o, h, lo, c)
    S[S_PRICE] = o
    cursor = o
    for seg in range(1, 4):
        end = path[seg]
        while G[G_ERROR] == 0:
            best_stage, best_side, best_price, best_seq, best = -1, 0, 0.0, 0.0, -2
            liq = paper.liquidation_price(P, S)
            if liq > 0.0:
                st = _stage(BUY, liq, cursor, end)
                if st >= 0:
                    best_stage, best_side, best_price, best_seq, best = st, BUY, liq, -1.0, -1
            for side in (BUY, SELL):
                col = paper.head(B, side, -1)
                if col < 0:
                    continue
                price, seq = B[B_PRICE, col], B[B_SEQ, col]
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
                G[G_ERROR] = ERR_LIQUIDATION
                return
            order = paper.book_order(B, best)
            B[B_LIVE, best] = 0.0
            paper.sync_reserved(S, B)
            if B[B_REDUCE, best] != 0.0 and not S[S_SIZE] > 0.0:
                continue  # a reduce-only order with nothing to reduce is cancelled
            fill_price = cursor if best_stage == _AT_CURSOR else best_price
            paper.execute(P, S, G, Q, out_f, out_i, order, fill_price, True, best_price)
            if best_stage == _ON_SEGMENT:
                cursor = best_price
            S[S_PRICE] = cursor
            strat.drain(
                P, C, S, G, T, D, M, B, Q, X, out_f, out_i, fac, tpa, thr, pw, close, levels
            )
        cursor = end
        S[S_PRICE] = cursor


@njit(cache=True)
def _enter(P, S, G, D, M, X, role: int, level: int, i: int, inp) -> None:  # type: ignore[no-untyped-def]
    """`machine._enter`: size the entry at the close and plan a market buy if it fits."""
    close, fac, pw = inp[3], inp[4], inp[7]
    price = close[i]
    left = P[P_BUDGET] - strat.committed_margin(P, S, G, D, M, price)
    notional = P[P_BASE_AMOUNT] * fac[i] * pw[level]
    qty = floor_to_step(notional / price, P[P_STEP], P[P_STEP_M], P[P_STEP_DIV])
    if strat.entry_allowed(P, qty, price, left):
        strat.place_market(G, M, X, role, level, BUY, qty, 0)


@njit(cache=True)
def _decide(P, C, S, G, T, D, M, X, passed, inp, i: int) -> None:  # type: ignore[no-untyped-def]
    """`machine.decide` at candle `i`'s close (its intents are planned, not yet sent)."""
    close, thr = inp[3], inp[6]
    G[G_VIEW] = i
    c = close[i]
    if S[S_Q] > 0:
        _in_position(P, C, S, G, T, D, M, X, passed, inp, i, c, thr)
    elif not strat.has_records(T, D, M) and passed[i]:
        _enter(P, S, G, D, M, X, ROLE_BASE, 0, i, inp)
    if not strat.closing(M):
        strat.reconcile(P, C, S, G, T, D, M, X, c)


@njit(cache=True)
def _in_position(P, C, S, G, T, D, M, X, passed, inp, i: int, c: float, thr) -> None:  # type: ignore[no-untyped-def]
    sl = P[P_STOP_LOSS]
    if not math.isnan(sl) and c <= S[S_AVG] * (1 - sl):
        strat.cancel_limits(G, T, D, X)
        strat.place_market(G, M, X, ROLE_STOP_LOSS, 0, SELL, S[S_Q], 0)
        return
    if C[C_AUTO_TP] == 0:
        left = S[S_Q]
        tol = strat.qty_tolerance(P)
        for lv in range(1, C[C_TP_LEVELS] + 1):
            remaining = max(0.0, T[T_QTY, lv] - T[T_FILLED, lv])
            if T[T_IN_PLAN, lv] != 0.0 and remaining > 0 and c >= T[T_PRICE, lv] and left > tol:
                qty = min(remaining, left)
                left -= qty
                strat.place_market(G, M, X, ROLE_TP_MARKET, lv, SELL, qty, G[G_TP_REV])
        if left < S[S_Q]:
            return
    if C[C_LADDER] != 0:
        return
    k = G[G_LEVEL] + 1
    if C[C_MAX_LEVELS] >= 0 and k > C[C_MAX_LEVELS]:
        return
    if k > C[C_LEVELS_TABLE]:
        if c <= S[S_LAST] * (1 - P[P_MIN_THRESHOLD]):
            G[G_ERROR] = ERR_LEVELS
        return
    row = i if C[C_THR_PER_CANDLE] != 0 else 0
    if c > S[S_LAST] * (1 - thr[row, k]) or not passed[i]:
        return
    _enter(P, S, G, D, M, X, ROLE_DCA, k, i, inp)


@njit(cache=True)
def _settled(C, S, G, T, D, M) -> bool:  # type: ignore[no-untyped-def]
    """In position with exactly the orders `_reconcile` wants resting: a decision that meets
    no close-based trigger changes nothing, so candles that touch no order can be skipped."""
    for j in range(MCAP):
        if M[M_LIVE, j] != 0.0:
            return False
    cycle, rev, auto = G[G_CYCLE], G[G_TP_REV], C[C_AUTO_TP] != 0
    for i in range(1, T.shape[1]):
        wanted = auto and T[T_IN_PLAN, i] != 0.0 and T[T_QTY, i] - T[T_FILLED, i] > 0
        rec = T[T_REC, i] != 0.0
        if rec != wanted or (rec and (T[T_REC_CYCLE, i] != cycle or T[T_REC_REV, i] != rev)):
            return False
    ladder = C[C_LADDER] != 0
    for k in range(1, D.shape[1]):
        rec = D[D_REC, k] != 0.0
        if rec and (not ladder or D[D_REC_CYCLE, k] != cycle):
            return False
        if ladder and G[G_LEVEL] < k <= G[G_NLADDER] and not rec:
            return False
    return True


@njit(cache=True)
def _scan(P, C, S, G, T, D, M, B, passed, inp, i: int) -> int:  # type: ignore[no-untyped-def]
    """The first candle from `i` on where anything can happen (len when none)."""
    high, low, close, thr = inp[1], inp[2], inp[3], inp[6]
    n = close.shape[0]
    if S[S_Q] == 0.0 and S[S_SIZE] == 0.0:
        if strat.has_records(T, D, M) or paper.head(B, BUY, -1) >= 0:
            return i
        if paper.head(B, SELL, -1) >= 0:
            return i
        for j in range(i, n):
            if passed[j]:
                return j
        return int(n)
    if S[S_Q] <= 0.0 or not _settled(C, S, G, T, D, M):
        return i
    col = paper.head(B, BUY, -1)
    buy_trig = max(B[B_PRICE, col] if col >= 0 else -math.inf, paper.liquidation_price(P, S))
    col = paper.head(B, SELL, -1)
    sell_trig = B[B_PRICE, col] if col >= 0 else math.inf
    close_lo, close_hi = -math.inf, math.inf
    sl = P[P_STOP_LOSS]
    if not math.isnan(sl):
        close_lo = S[S_AVG] * (1 - sl)
    k = G[G_LEVEL] + 1
    if C[C_LADDER] == 0 and (C[C_MAX_LEVELS] < 0 or k <= C[C_MAX_LEVELS]):
        fixed = C[C_THR_PER_CANDLE] == 0 and k <= C[C_LEVELS_TABLE]
        step = thr[0, k] if fixed else P[P_MIN_THRESHOLD]
        close_lo = max(close_lo, S[S_LAST] * (1 - step))
    if C[C_AUTO_TP] == 0:
        for lv in range(1, C[C_TP_LEVELS] + 1):
            if T[T_IN_PLAN, lv] != 0.0 and T[T_QTY, lv] - T[T_FILLED, lv] > 0:
                close_hi = min(close_hi, T[T_PRICE, lv])
    if close_lo == -math.inf and close_hi == math.inf:
        for j in range(i, n):
            if low[j] <= buy_trig or high[j] >= sell_trig:
                return j
        return int(n)
    for j in range(i, n):
        if low[j] <= buy_trig or high[j] >= sell_trig or close[j] <= close_lo:
            return j
        if close[j] >= close_hi:
            return j
    return int(n)


@njit(cache=True)
def run_arrays(time, passed, inp, P, C, out_f, out_i, equity):  # type: ignore[no-untyped-def]
    """Run one bot over the series; returns the float and int state (see `kernel_layout`).

    `inp` = (open, high, low, close, size factor, TP percent, threshold table, volume-scale
    powers); `equity` (length n, or 0 when not wanted) receives the account equity per bar.
    """
    close = inp[3]
    n = close.shape[0]
    K = C[C_LEVELS_TABLE]
    levels = C[C_MAX_LEVELS] if C[C_LADDER] != 0 else 0
    tp_cols = C[C_TP_LEVELS] + 1
    S = np.zeros(NS)
    G = np.zeros(NG, dtype=np.int64)
    T = np.zeros((NT, tp_cols))
    D = np.zeros((ND, K + 1))
    M = np.zeros((NM, MCAP))
    B = np.zeros((NB, tp_cols + K + 4))
    Q = np.zeros((NQ, QCAP))
    X = np.zeros((NX, XCAP))
    S[S_WALLET] = P[P_BALANCE]
    G[G_ACTIVE], G[G_CYCLE] = 1, 1
    start = C[C_START]
    G[G_VIEW] = max(start - 1, 0)
    want_equity = C[C_EQUITY] != 0
    if want_equity:
        for j in range(min(start, n)):
            equity[j] = P[P_BALANCE]
    i = start
    while i < n and G[G_ERROR] == 0:
        if G[G_ACTIVE] == 0:
            j = n if paper.head(B, BUY, -1) < 0 and paper.head(B, SELL, -1) < 0 else i
        else:
            j = _scan(P, C, S, G, T, D, M, B, passed, inp, i)
        if j > i:
            if want_equity:
                for b in range(i, j):
                    equity[b] = _equity(S, close[b])
            G[G_VIEW] = j - 1
            S[S_PRICE] = close[j - 1]
            i = j
            if i >= n:
                break
        G[G_TIME] = time[i]
        _walk(P, C, S, G, T, D, M, B, Q, X, out_f, out_i, inp, i, levels)
        S[S_PRICE] = close[i]
        if G[G_ACTIVE] != 0 and G[G_ERROR] == 0:
            _decide(P, C, S, G, T, D, M, X, passed, inp, i)
            strat.send(P, S, G, T, D, M, B, Q, X, out_f, out_i, close[i])
            strat.drain(
                P, C, S, G, T, D, M, B, Q, X, out_f, out_i, inp[4], inp[5], inp[6], inp[7],
                close, levels,
            )  # fmt: skip
        if want_equity:
            equity[i] = _equity(S, close[i])
        G[G_END] = i
        i += 1
    return S, G
