"""The DCA state machine's fill handling and order planning for the fast kernel.

A restatement of `strategy.fills` (apply a fill, end a cycle, plan take profits and the ladder)
and `strategy.machine._reconcile` (which resting orders should exist) on the kernel's arrays,
plus the runner's protocol: a batch of intents is planned on the state as it stands, then sent
in order through the budget gate and the paper exchange, and a refused placement's record is
dropped. Window-dependent inputs (size factor, TP percent, thresholds) come precomputed from the
strategy's own functions (`kernel_inputs`).
"""

# The state arrays keep the one-letter names of kernel_layout (P, C, S, G, T, D, M, B, Q, X),
# and numba functions take them positionally (and compile no generator any()): rules off here.
# ruff: noqa: N803, PLR0917, SIM110

from __future__ import annotations

import math

from numba import njit

from portfolio_launcher.backtest import kernel_paper as paper
from portfolio_launcher.backtest.kernel_layout import (
    BUY,
    C_AUTO_TP,
    C_CYCLE,
    C_DYNAMIC_TP,
    C_LADDER,
    C_THR_PER_CANDLE,
    C_TP_LEVELS,
    D_PRICE,
    D_QTY,
    D_REC,
    D_REC_CYCLE,
    D_REC_PRICE,
    D_REC_QTY,
    D_REC_SEQ,
    ERR_CAPACITY,
    G_ACTIVE,
    G_CYCLE,
    G_CYCLES,
    G_ERROR,
    G_LEVEL,
    G_NLADDER,
    G_NX,
    G_QHEAD,
    G_QTAIL,
    G_SEQ,
    G_TP_REV,
    G_VIEW,
    M_FILLED,
    M_INDEX,
    M_LIVE,
    M_QTY,
    M_REV,
    M_ROLE,
    M_SEQ,
    M_SIDE,
    MCAP,
    P_BASE_AMOUNT,
    P_BUDGET,
    P_LEVERAGE,
    P_MIN_NOTIONAL,
    P_MIN_ORDER_QTY,
    P_MIN_QTY,
    P_STEP,
    P_STEP_DIV,
    P_STEP_M,
    P_TICK,
    P_TICK_DIV,
    P_TICK_M,
    P_TP_PERCENT,
    P_TP_QUANTITY,
    Q_CYCLE,
    Q_FEE,
    Q_INDEX,
    Q_PRICE,
    Q_QTY,
    Q_ROLE,
    Q_SEQ,
    Q_SIDE,
    ROLE_BASE,
    ROLE_LADDER,
    ROLE_STOP_LOSS,
    ROLE_TP,
    S_AVG,
    S_FEES,
    S_LAST,
    S_Q,
    S_REALIZED,
    SELL,
    T_FILLED,
    T_IN_PLAN,
    T_PRICE,
    T_QTY,
    T_REC,
    T_REC_CYCLE,
    T_REC_FILLED,
    T_REC_QTY,
    T_REC_REV,
    T_REC_SEQ,
    X_CANCEL,
    X_INDEX,
    X_PRICE,
    X_QTY,
    X_REV,
    X_ROLE,
    X_SEQ,
    X_SIDE,
    XCAP,
)
from portfolio_launcher.backtest.kernel_rounding import ceil_to_step, floor_to_step, snap_qty

_BUDGET_EPS = 1e-9  # strategy.sizing
_GATE_RTOL = 1e-9  # portfolio.risk
_STEP_EPS = 1e-9  # strategy.take_profit


@njit(cache=True)
def qty_tolerance(P) -> float:  # type: ignore[no-untyped-def]
    """`strategy.fills.qty_tolerance`."""
    step = P[P_STEP]
    return step * 1e-6 if step > 0 else 1e-12


@njit(cache=True)
def committed_margin(P, S, G, D, M, view_close: float) -> float:  # type: ignore[no-untyped-def]
    """`machine.committed_margin`: position plus open buy records, summed in record order."""
    value = S[S_Q] * S[S_AVG]
    last = -1.0
    while True:
        best, amount = math.inf, 0.0
        for k in range(1, D.shape[1]):
            if D[D_REC, k] != 0.0 and last < D[D_REC_SEQ, k] < best:
                best, amount = D[D_REC_SEQ, k], D[D_REC_QTY, k] * D[D_REC_PRICE, k]
        for j in range(MCAP):
            if M[M_LIVE, j] != 0.0 and M[M_SIDE, j] == BUY and last < M[M_SEQ, j] < best:
                best = M[M_SEQ, j]
                amount = max(0.0, M[M_QTY, j] - M[M_FILLED, j]) * view_close
        if best == math.inf:
            return float(value / P[P_LEVERAGE])
        value += amount
        last = best


@njit(cache=True)
def entry_allowed(P, qty: float, price: float, budget_left: float) -> bool:  # type: ignore[no-untyped-def]
    """`sizing.check_entry` == "" (minimums, then the margin against the budget left)."""
    value = qty * price
    margin = value / P[P_LEVERAGE]
    if qty <= 0 or qty < P[P_MIN_QTY] or qty < P[P_MIN_ORDER_QTY]:
        return False
    if value < P[P_MIN_NOTIONAL]:
        return False
    return not margin > budget_left * (1 + _BUDGET_EPS)


@njit(cache=True)
def closing(M) -> bool:  # type: ignore[no-untyped-def]
    """`machine._closing`: a stop-loss order is in flight."""
    for j in range(MCAP):
        if M[M_LIVE, j] != 0.0 and M[M_ROLE, j] == ROLE_STOP_LOSS:
            return True
    return False


@njit(cache=True)
def has_records(T, D, M) -> bool:  # type: ignore[no-untyped-def]
    """Any order recorded in the strategy state."""
    for i in range(1, T.shape[1]):
        if T[T_REC, i] != 0.0:
            return True
    for k in range(1, D.shape[1]):
        if D[D_REC, k] != 0.0:
            return True
    for j in range(MCAP):
        if M[M_LIVE, j] != 0.0:
            return True
    return False


@njit(cache=True)
def _intent(  # type: ignore[no-untyped-def]
    G,
    X,
    cancel: bool,
    seq: float,
    role: int,
    index: int,
    side: int,
    qty: float,
    price: float,
    rev: int,
) -> None:
    n = G[G_NX]
    if n >= XCAP:
        G[G_ERROR] = ERR_CAPACITY
        return
    X[X_CANCEL, n], X[X_SEQ, n], X[X_ROLE, n], X[X_INDEX, n] = (
        1.0 if cancel else 0.0,
        seq,
        role,
        index,
    )
    X[X_SIDE, n], X[X_QTY, n], X[X_PRICE, n], X[X_REV, n] = side, qty, price, rev
    G[G_NX] = n + 1


@njit(cache=True)
def cancel_limits(G, T, D, X) -> None:  # type: ignore[no-untyped-def]
    """Cancel every recorded limit order (the stop-loss path)."""
    for i in range(1, T.shape[1]):
        if T[T_REC, i] != 0.0:
            T[T_REC, i] = 0.0
            _intent(G, X, True, T[T_REC_SEQ, i], 0, 0, 0, 0.0, 0.0, 0)
    for k in range(1, D.shape[1]):
        if D[D_REC, k] != 0.0:
            D[D_REC, k] = 0.0
            _intent(G, X, True, D[D_REC_SEQ, k], 0, 0, 0, 0.0, 0.0, 0)


@njit(cache=True)
def place_market(G, M, X, role: int, index: int, side: int, qty: float, rev: int) -> None:  # type: ignore[no-untyped-def]
    """Record a market order in flight and add its placement to the batch."""
    G[G_SEQ] += 1
    seq = float(G[G_SEQ])
    for j in range(MCAP):
        if M[M_LIVE, j] == 0.0:
            M[M_LIVE, j], M[M_SEQ, j], M[M_ROLE, j], M[M_INDEX, j] = 1.0, seq, role, index
            M[M_SIDE, j], M[M_QTY, j], M[M_REV, j], M[M_FILLED, j] = side, qty, rev, 0.0
            _intent(G, X, False, seq, role, index, side, qty, math.nan, rev)
            return
    G[G_ERROR] = ERR_CAPACITY


@njit(cache=True)
def _tp_remaining(T, i: int) -> float:  # type: ignore[no-untyped-def]
    return float(max(0.0, T[T_QTY, i] - T[T_FILLED, i]))


@njit(cache=True)
def reconcile(P, C, S, G, T, D, M, X, view_close: float) -> None:  # type: ignore[no-untyped-def]
    """`machine._reconcile`: cancel what should not rest, plan the missing TPs and ladder."""
    live = S[S_Q] > 0 and not closing(M)
    auto = live and C[C_AUTO_TP] != 0
    cycle, rev = G[G_CYCLE], G[G_TP_REV]
    for i in range(1, T.shape[1]):
        if T[T_REC, i] == 0.0:
            continue
        wanted = auto and T[T_IN_PLAN, i] != 0.0 and _tp_remaining(T, i) > 0
        if not (T[T_REC_CYCLE, i] == cycle and T[T_REC_REV, i] == rev and wanted):
            T[T_REC, i] = 0.0
            _intent(G, X, True, T[T_REC_SEQ, i], 0, 0, 0, 0.0, 0.0, 0)
    ladder_on = live and C[C_LADDER] != 0
    for k in range(1, D.shape[1]):
        if D[D_REC, k] != 0.0 and not (D[D_REC_CYCLE, k] == cycle and ladder_on):
            D[D_REC, k] = 0.0
            _intent(G, X, True, D[D_REC_SEQ, k], 0, 0, 0, 0.0, 0.0, 0)
    if auto:
        for i in range(1, T.shape[1]):
            if T[T_REC, i] != 0.0 or T[T_IN_PLAN, i] == 0.0 or _tp_remaining(T, i) <= 0:
                continue
            G[G_SEQ] += 1
            qty = _tp_remaining(T, i)
            T[T_REC, i], T[T_REC_SEQ, i], T[T_REC_REV, i] = 1.0, G[G_SEQ], rev
            T[T_REC_CYCLE, i], T[T_REC_QTY, i], T[T_REC_FILLED, i] = cycle, qty, 0.0
            _intent(G, X, False, T[T_REC_SEQ, i], ROLE_TP, i, SELL, qty, T[T_PRICE, i], rev)
    if not ladder_on:
        return
    for k in range(1, G[G_NLADDER] + 1):
        if k <= G[G_LEVEL] or D[D_REC, k] != 0.0:
            continue
        left = P[P_BUDGET] - committed_margin(P, S, G, D, M, view_close)
        if not entry_allowed(P, D[D_QTY, k], D[D_PRICE, k], left):
            continue
        G[G_SEQ] += 1
        D[D_REC, k], D[D_REC_SEQ, k], D[D_REC_CYCLE, k] = 1.0, G[G_SEQ], cycle
        D[D_REC_PRICE, k], D[D_REC_QTY, k] = D[D_PRICE, k], D[D_QTY, k]
        _intent(G, X, False, D[D_REC_SEQ, k], ROLE_LADDER, k, BUY, D[D_QTY, k], D[D_PRICE, k], 0)


@njit(cache=True)
def _drop_record(T, D, M, seq: float) -> None:  # type: ignore[no-untyped-def]
    for i in range(1, T.shape[1]):
        if T[T_REC, i] != 0.0 and T[T_REC_SEQ, i] == seq:
            T[T_REC, i] = 0.0
    for k in range(1, D.shape[1]):
        if D[D_REC, k] != 0.0 and D[D_REC_SEQ, k] == seq:
            D[D_REC, k] = 0.0
    for j in range(MCAP):
        if M[M_LIVE, j] != 0.0 and M[M_SEQ, j] == seq:
            M[M_LIVE, j] = 0.0


@njit(cache=True)
def send(P, S, G, T, D, M, B, Q, X, out_f, out_i, view_close: float) -> None:  # type: ignore[no-untyped-def]
    """The runner's `_act`: each intent in order; buys pass the budget gate, then the venue."""
    n = G[G_NX]
    G[G_NX] = 0
    cycle = G[G_CYCLE]
    for x in range(n):
        seq = X[X_SEQ, x]
        if X[X_CANCEL, x] != 0.0:
            paper.cancel(S, B, seq)  # accepted or gone: the record goes either way
            continue
        side, qty, limit = int(X[X_SIDE, x]), X[X_QTY, x], X[X_PRICE, x]
        ok = True
        if side == BUY:
            ref = view_close if math.isnan(limit) else limit
            lev = P[P_LEVERAGE]
            in_use = committed_margin(P, S, G, D, M, view_close) - qty * ref / lev
            margin = in_use + (abs(qty) * ref) / lev
            budget = P[P_BUDGET]
            ok = not margin > budget + _GATE_RTOL * max(1.0, abs(budget))
        if ok:
            order = (seq, int(X[X_ROLE, x]), int(X[X_INDEX, x]), cycle, int(X[X_REV, x]), side,
                     qty, side == SELL)  # fmt: skip
            ok = paper.place(P, S, G, B, Q, out_f, out_i, order, limit)
        if not ok:
            _drop_record(T, D, M, seq)


@njit(cache=True)
def plan_tp(P, C, S, G, T, tpa) -> None:  # type: ignore[no-untyped-def]
    """`fills.replan_tp` with `take_profit.plan_levels`: a new revision for the position."""
    percent = tpa[G[G_VIEW]] if C[C_DYNAMIC_TP] != 0 else P[P_TP_PERCENT]
    levels = C[C_TP_LEVELS]
    for i in range(1, T.shape[1]):
        T[T_IN_PLAN, i] = 0.0
    G[G_TP_REV] += 1
    step = P[P_STEP]
    total = math.floor(S[S_Q] / step + _STEP_EPS)
    if total <= 0:
        return
    min_steps = max(1, math.ceil(P[P_MIN_QTY] / step - _STEP_EPS))
    per = math.floor(total * P[P_TP_QUANTITY] + _STEP_EPS) if levels > 1 else total
    left, carry, last, before, count = total, 0, -1, -1, 0
    for i in range(1, levels + 1):
        n = left if i == levels else min(per, left)
        left -= n
        n += carry
        carry = 0
        if n == 0:
            continue
        if n < min_steps and i < levels:
            carry = n
            continue
        T[T_IN_PLAN, i], T[T_QTY, i] = 1.0, n
        before, last, count = last, i, count + 1
    if count > 1 and T[T_QTY, last] < min_steps:
        T[T_QTY, before] += T[T_QTY, last]
        T[T_IN_PLAN, last] = 0.0
    avg = S[S_AVG]
    for i in range(1, levels + 1):
        if T[T_IN_PLAN, i] != 0.0:
            raw = avg * (1 + percent * i / levels)
            T[T_PRICE, i] = ceil_to_step(raw, P[P_TICK], P[P_TICK_M], P[P_TICK_DIV])
            T[T_QTY, i] = floor_to_step(T[T_QTY, i] * step, step, P[P_STEP_M], P[P_STEP_DIV])
            T[T_FILLED, i] = 0.0


@njit(cache=True)
def plan_ladder(P, C, G, D, fac, thr, pw, base_price: float, levels: int) -> None:  # type: ignore[no-untyped-def]
    """`fills._plan_ladder` with `spacing.ladder_prices` (steps from the strategy's table)."""
    view = G[G_VIEW]
    row = view if C[C_THR_PER_CANDLE] != 0 else 0
    factor = fac[view]
    previous = base_price
    count = 0
    for k in range(1, levels + 1):
        previous = previous * (1.0 - thr[row, k])
        price = floor_to_step(previous, P[P_TICK], P[P_TICK_M], P[P_TICK_DIV])
        if price <= 0:
            break
        notional = P[P_BASE_AMOUNT] * factor * pw[k]
        D[D_PRICE, k] = price
        D[D_QTY, k] = floor_to_step(notional / price, P[P_STEP], P[P_STEP_M], P[P_STEP_DIV])
        count = k
    G[G_NLADDER] = count


@njit(cache=True)
def _end_cycle(C, S, G, T) -> None:  # type: ignore[no-untyped-def]
    """`fills._end_cycle`."""
    G[G_CYCLE] += 1
    G[G_LEVEL] = 0
    S[S_Q], S[S_AVG], S[S_LAST] = 0.0, 0.0, 0.0
    for i in range(1, T.shape[1]):
        T[T_IN_PLAN, i] = 0.0
    G[G_NLADDER] = 0
    G[G_CYCLES] += 1
    if C[C_CYCLE] == 0:
        G[G_ACTIVE] = 0


@njit(cache=True)
def apply_fill(P, C, S, G, T, D, M, Q, q: int, fac, tpa, thr, pw, levels: int) -> None:  # type: ignore[no-untyped-def]
    """`fills.apply_fill` of queued fill `q` (its record looked up by sequence, as by id)."""
    seq, role, index = Q[Q_SEQ, q], int(Q[Q_ROLE, q]), int(Q[Q_INDEX, q])
    side, price, qty = int(Q[Q_SIDE, q]), Q[Q_PRICE, q], Q[Q_QTY, q]
    if qty <= 0:
        return
    step, m, div = P[P_STEP], P[P_STEP_M], P[P_STEP_DIV]
    tol = qty_tolerance(P)
    found, rec_cycle, rec_rev, rec_index = False, -1, -1, -1
    for i in range(1, T.shape[1]):
        if T[T_REC, i] != 0.0 and T[T_REC_SEQ, i] == seq:
            found, rec_cycle, rec_rev, rec_index = True, T[T_REC_CYCLE, i], T[T_REC_REV, i], i
            filled = snap_qty(T[T_REC_FILLED, i] + qty, step, m, div)
            if filled >= T[T_REC_QTY, i] - tol:
                T[T_REC, i] = 0.0
            else:
                T[T_REC_FILLED, i] = filled
    for k in range(1, D.shape[1]):
        if D[D_REC, k] != 0.0 and D[D_REC_SEQ, k] == seq:
            found, rec_cycle, rec_index = True, D[D_REC_CYCLE, k], k
            D[D_REC, k] = 0.0  # buys fill whole on the paper venue
    for j in range(MCAP):
        if M[M_LIVE, j] != 0.0 and M[M_SEQ, j] == seq:
            found, rec_cycle, rec_rev = True, int(Q[Q_CYCLE, q]), M[M_REV, j]
            rec_index = int(M[M_INDEX, j])
            filled = snap_qty(M[M_FILLED, j] + qty, step, m, div)
            if filled >= M[M_QTY, j] - tol:
                M[M_LIVE, j] = 0.0
            else:
                M[M_FILLED, j] = filled
    S[S_FEES] += Q[Q_FEE, q]
    cycle = G[G_CYCLE]
    if side == BUY:
        level = index if int(Q[Q_CYCLE, q]) == cycle and role <= ROLE_LADDER else 0
        q_old = S[S_Q]
        q_new = snap_qty(q_old + qty, step, m, div)
        S[S_AVG] = (q_old * S[S_AVG] + qty * price) / q_new
        S[S_Q] = q_new
        S[S_LAST] = price
        G[G_LEVEL] = max(G[G_LEVEL], level)
        if role == ROLE_BASE and C[C_LADDER] != 0 and G[G_NLADDER] == 0:
            plan_ladder(P, C, G, D, fac, thr, pw, price, levels)
        plan_tp(P, C, S, G, T, tpa)
        return
    sold = min(qty, S[S_Q])
    pnl = sold * (price - S[S_AVG])
    current = found and rec_cycle == cycle and rec_rev == G[G_TP_REV]
    if current and 1 <= rec_index < T.shape[1] and T[T_IN_PLAN, rec_index] != 0.0:
        T[T_FILLED, rec_index] = snap_qty(T[T_FILLED, rec_index] + sold, step, m, div)
    S[S_Q] = snap_qty(S[S_Q] - sold, step, m, div)
    S[S_REALIZED] += pnl
    if S[S_Q] <= tol:
        _end_cycle(C, S, G, T)
        return
    planned = 0.0
    for i in range(1, T.shape[1]):
        if T[T_IN_PLAN, i] != 0.0:
            planned += _tp_remaining(T, i)
    if abs(planned - S[S_Q]) > tol:
        plan_tp(P, C, S, G, T, tpa)


@njit(cache=True)
def drain(  # type: ignore[no-untyped-def]
    P, C, S, G, T, D, M, B, Q, X, out_f, out_i, fac, tpa, thr, pw, close, levels: int
) -> None:
    """Hand every queued fill to the strategy in order; each reaction is sent before the next."""
    while G[G_QHEAD] < G[G_QTAIL] and G[G_ERROR] == 0:
        q = G[G_QHEAD]
        G[G_QHEAD] = q + 1
        apply_fill(P, C, S, G, T, D, M, Q, q, fac, tpa, thr, pw, levels)
        view_close = close[G[G_VIEW]]
        reconcile(P, C, S, G, T, D, M, X, view_close)
        send(P, S, G, T, D, M, B, Q, X, out_f, out_i, view_close)
    G[G_QHEAD] = 0
    G[G_QTAIL] = 0
