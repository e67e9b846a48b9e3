"""The DCA state machine's fill handling and order planning for the fast kernel.

A restatement of `strategy.fills` (apply a fill, end a cycle, plan take profits and the ladder)
and `strategy.machine._reconcile` (which resting orders should exist) on the kernel's arrays,
plus the runner's protocol: a batch of intents is planned on the state as it stands, then sent
in order through the budget gate and the paper exchange, and a refused placement's record is
dropped. Window-dependent inputs (size factor, TP percent, thresholds) come precomputed from the
strategy's own functions (`kernel_inputs`).

The open buy records (ladder levels and market buys in flight) are listed in sequence order as
they are created (kernel_layout's L_REC), so the committed margin adds them up in the engine's
order without sorting; a fill's or a refused placement's record is found at the order's role and
index (a take profit's and a ladder level's record sit at their level), not by a search.
"""

# The state arrays keep kernel_layout's one-letter names (F, Z), and numba functions take
# them positionally (and compile no generator any()): rules off here.
# ruff: noqa: N803, PLR0917, SIM110

from __future__ import annotations

import math

from portfolio_launcher.backtest import kernel_paper as paper
from portfolio_launcher.backtest.kernel_layout import (
    BUY,
    C_AUTO_TP,
    C_CYCLE,
    C_DYNAMIC_TP,
    C_LADDER,
    C_LEVELS_TABLE,
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
    G_NM,
    G_NREC,
    G_NX,
    G_QHEAD,
    G_QTAIL,
    G_SEQ,
    G_TP_REV,
    G_VIEW,
    L_REC,
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
    R_C,
    R_G,
    R_P,
    R_S,
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
    kernel_part,
    list_drop,
)
from portfolio_launcher.backtest.kernel_rounding import ceil_to_step, floor_to_step, snap_qty

_BUDGET_EPS = 1e-9  # strategy.sizing
_GATE_RTOL = 1e-9  # portfolio.risk
_STEP_EPS = 1e-9  # strategy.take_profit


@kernel_part
def qty_tolerance(F) -> float:  # type: ignore[no-untyped-def]
    """`strategy.fills.qty_tolerance`."""
    step = F[R_P, P_STEP]
    return step * 1e-6 if step > 0 else 1e-12


@kernel_part
def committed_margin(F, Z, view_close: float) -> float:  # type: ignore[no-untyped-def]
    """`machine.committed_margin`: position plus open buy records, summed in record order
    (L_REC keeps them in sequence order: each record is appended when it is created)."""
    value = F[R_S, S_Q] * F[R_S, S_AVG]
    for r in range(Z[R_G, G_NREC]):
        e = Z[L_REC, r]
        if e > 0:
            value += F[D_REC_QTY, e] * F[D_REC_PRICE, e]
        else:
            j = -e - 1
            value += max(0.0, F[M_QTY, j] - F[M_FILLED, j]) * view_close
    return float(value / F[R_P, P_LEVERAGE])


@kernel_part
def _rec_open(Z, e: int) -> None:  # type: ignore[no-untyped-def]
    """A buy record was created: it has the newest sequence, so it goes last."""
    Z[L_REC, Z[R_G, G_NREC]] = e
    Z[R_G, G_NREC] += 1


@kernel_part
def _rec_close(Z, e: int) -> None:  # type: ignore[no-untyped-def]
    list_drop(Z, L_REC, G_NREC, e)


@kernel_part
def drop_ladder(F, Z, k: int) -> None:  # type: ignore[no-untyped-def]
    """Forget the ladder record of level `k`."""
    F[D_REC, k] = 0.0
    _rec_close(Z, k)


@kernel_part
def _drop_market(F, Z, j: int) -> None:  # type: ignore[no-untyped-def]
    """Forget the market record in slot `j`."""
    F[M_LIVE, j] = 0.0
    Z[R_G, G_NM] -= 1
    if F[M_SIDE, j] == BUY:
        _rec_close(Z, -j - 1)


@kernel_part
def _market_slot(F, Z, seq: float) -> int:  # type: ignore[no-untyped-def]
    """Slot of the live market record with this sequence (-1: none)."""
    if Z[R_G, G_NM] == 0:
        return -1
    for j in range(MCAP):
        if F[M_LIVE, j] != 0.0 and F[M_SEQ, j] == seq:
            return j
    return -1


@kernel_part
def entry_allowed(F, qty: float, price: float, budget_left: float) -> bool:  # type: ignore[no-untyped-def]
    """`sizing.check_entry` == "" (minimums, then the margin against the budget left)."""
    value = qty * price
    margin = value / F[R_P, P_LEVERAGE]
    if qty <= 0 or qty < F[R_P, P_MIN_QTY] or qty < F[R_P, P_MIN_ORDER_QTY]:
        return False
    if value < F[R_P, P_MIN_NOTIONAL]:
        return False
    return not margin > budget_left * (1 + _BUDGET_EPS)


@kernel_part
def closing(F, Z) -> bool:  # type: ignore[no-untyped-def]
    """`machine._closing`: a stop-loss order is in flight."""
    if Z[R_G, G_NM] == 0:
        return False
    for j in range(MCAP):
        if F[M_LIVE, j] != 0.0 and F[M_ROLE, j] == ROLE_STOP_LOSS:
            return True
    return False


@kernel_part
def has_records(F, Z) -> bool:  # type: ignore[no-untyped-def]
    """Any order recorded in the strategy state (every ladder record is in L_REC)."""
    if Z[R_G, G_NM] != 0 or Z[R_G, G_NREC] != 0:
        return True
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        if F[T_REC, i] != 0.0:
            return True
    return False


@kernel_part
def _intent(  # type: ignore[no-untyped-def]
    F,
    Z,
    cancel: bool,
    seq: float,
    role: int,
    index: int,
    side: int,
    qty: float,
    price: float,
    rev: int,
) -> None:
    n = Z[R_G, G_NX]
    if n >= XCAP:
        Z[R_G, G_ERROR] = ERR_CAPACITY
        return
    F[X_CANCEL, n], F[X_SEQ, n], F[X_ROLE, n], F[X_INDEX, n] = (
        1.0 if cancel else 0.0,
        seq,
        role,
        index,
    )
    F[X_SIDE, n], F[X_QTY, n], F[X_PRICE, n], F[X_REV, n] = side, qty, price, rev
    Z[R_G, G_NX] = n + 1


@kernel_part
def cancel_limits(F, Z) -> None:  # type: ignore[no-untyped-def]
    """Cancel every recorded limit order (the stop-loss path)."""
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        if F[T_REC, i] != 0.0:
            F[T_REC, i] = 0.0
            _intent(F, Z, True, F[T_REC_SEQ, i], 0, 0, 0, 0.0, 0.0, 0)
    for k in range(1, Z[R_C, C_LEVELS_TABLE] + 1):
        if F[D_REC, k] != 0.0:
            drop_ladder(F, Z, k)
            _intent(F, Z, True, F[D_REC_SEQ, k], 0, 0, 0, 0.0, 0.0, 0)


@kernel_part
def place_market(F, Z, role: int, index: int, side: int, qty: float, rev: int) -> None:  # type: ignore[no-untyped-def]
    """Record a market order in flight and add its placement to the batch."""
    Z[R_G, G_SEQ] += 1
    seq = float(Z[R_G, G_SEQ])
    for j in range(MCAP):
        if F[M_LIVE, j] == 0.0:
            F[M_LIVE, j], F[M_SEQ, j], F[M_ROLE, j], F[M_INDEX, j] = 1.0, seq, role, index
            F[M_SIDE, j], F[M_QTY, j], F[M_REV, j], F[M_FILLED, j] = side, qty, rev, 0.0
            Z[R_G, G_NM] += 1
            if side == BUY:
                _rec_open(Z, -j - 1)
            _intent(F, Z, False, seq, role, index, side, qty, math.nan, rev)
            return
    Z[R_G, G_ERROR] = ERR_CAPACITY


@kernel_part
def _tp_remaining(F, i: int) -> float:  # type: ignore[no-untyped-def]
    return float(max(0.0, F[T_QTY, i] - F[T_FILLED, i]))


@kernel_part
def reconcile(F, Z, view_close: float) -> None:  # type: ignore[no-untyped-def]
    """`machine._reconcile`: cancel what should not rest, plan the missing TPs and ladder."""
    live = F[R_S, S_Q] > 0 and not closing(F, Z)
    auto = live and Z[R_C, C_AUTO_TP] != 0
    cycle, rev = Z[R_G, G_CYCLE], Z[R_G, G_TP_REV]
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        if F[T_REC, i] == 0.0:
            continue
        wanted = auto and F[T_IN_PLAN, i] != 0.0 and _tp_remaining(F, i) > 0
        if not (F[T_REC_CYCLE, i] == cycle and F[T_REC_REV, i] == rev and wanted):
            F[T_REC, i] = 0.0
            _intent(F, Z, True, F[T_REC_SEQ, i], 0, 0, 0, 0.0, 0.0, 0)
    ladder_on = live and Z[R_C, C_LADDER] != 0
    for k in range(1, Z[R_C, C_LEVELS_TABLE] + 1):
        if F[D_REC, k] != 0.0 and not (F[D_REC_CYCLE, k] == cycle and ladder_on):
            drop_ladder(F, Z, k)
            _intent(F, Z, True, F[D_REC_SEQ, k], 0, 0, 0, 0.0, 0.0, 0)
    if auto:
        for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
            if F[T_REC, i] != 0.0 or F[T_IN_PLAN, i] == 0.0 or _tp_remaining(F, i) <= 0:
                continue
            Z[R_G, G_SEQ] += 1
            qty = _tp_remaining(F, i)
            F[T_REC, i], F[T_REC_SEQ, i], F[T_REC_REV, i] = 1.0, Z[R_G, G_SEQ], rev
            F[T_REC_CYCLE, i], F[T_REC_QTY, i], F[T_REC_FILLED, i] = cycle, qty, 0.0
            _intent(F, Z, False, F[T_REC_SEQ, i], ROLE_TP, i, SELL, qty, F[T_PRICE, i], rev)
    if not ladder_on:
        return
    for k in range(1, Z[R_G, G_NLADDER] + 1):
        if k <= Z[R_G, G_LEVEL] or F[D_REC, k] != 0.0:
            continue
        left = F[R_P, P_BUDGET] - committed_margin(F, Z, view_close)
        if not entry_allowed(F, F[D_QTY, k], F[D_PRICE, k], left):
            continue
        Z[R_G, G_SEQ] += 1
        F[D_REC, k], F[D_REC_SEQ, k], F[D_REC_CYCLE, k] = 1.0, Z[R_G, G_SEQ], cycle
        F[D_REC_PRICE, k], F[D_REC_QTY, k] = F[D_PRICE, k], F[D_QTY, k]
        _rec_open(Z, k)
        _intent(F, Z, False, F[D_REC_SEQ, k], ROLE_LADDER, k, BUY, F[D_QTY, k], F[D_PRICE, k], 0)


@kernel_part
def _drop_record(F, Z, seq: float, role: int, index: int) -> None:  # type: ignore[no-untyped-def]
    """Forget the record with this sequence: a take profit's or a ladder level's lives at its
    index, a market order's in M."""
    if role == ROLE_TP:
        if F[T_REC, index] != 0.0 and F[T_REC_SEQ, index] == seq:
            F[T_REC, index] = 0.0
    elif role == ROLE_LADDER:
        if F[D_REC, index] != 0.0 and F[D_REC_SEQ, index] == seq:
            drop_ladder(F, Z, index)
    else:
        j = _market_slot(F, Z, seq)
        if j >= 0:
            _drop_market(F, Z, j)


@kernel_part
def send(F, Z, out_f, out_i, view_close: float) -> None:  # type: ignore[no-untyped-def]
    """The runner's `_act`: each intent in order; buys pass the budget gate, then the venue."""
    n = Z[R_G, G_NX]
    Z[R_G, G_NX] = 0
    cycle = Z[R_G, G_CYCLE]
    for x in range(n):
        seq = F[X_SEQ, x]
        if F[X_CANCEL, x] != 0.0:
            paper.cancel(F, Z, seq)  # accepted or gone: the record goes either way
            continue
        side, qty, limit = int(F[X_SIDE, x]), F[X_QTY, x], F[X_PRICE, x]
        ok = True
        if side == BUY:
            ref = view_close if math.isnan(limit) else limit
            lev = F[R_P, P_LEVERAGE]
            in_use = committed_margin(F, Z, view_close) - qty * ref / lev
            margin = in_use + (abs(qty) * ref) / lev
            budget = F[R_P, P_BUDGET]
            ok = not margin > budget + _GATE_RTOL * max(1.0, abs(budget))
        role, index = int(F[X_ROLE, x]), int(F[X_INDEX, x])
        if ok:
            order = (seq, role, index, cycle, int(F[X_REV, x]), side, qty, side == SELL)
            ok = paper.place(F, Z, out_f, out_i, order, limit)
        if not ok:
            _drop_record(F, Z, seq, role, index)


@kernel_part
def plan_tp(F, Z, tpa) -> None:  # type: ignore[no-untyped-def]
    """`fills.replan_tp` with `take_profit.plan_levels`: a new revision for the position."""
    percent = tpa[Z[R_G, G_VIEW]] if Z[R_C, C_DYNAMIC_TP] != 0 else F[R_P, P_TP_PERCENT]
    levels = Z[R_C, C_TP_LEVELS]
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        F[T_IN_PLAN, i] = 0.0
    Z[R_G, G_TP_REV] += 1
    step = F[R_P, P_STEP]
    total = math.floor(F[R_S, S_Q] / step + _STEP_EPS)
    if total <= 0:
        return
    min_steps = max(1, math.ceil(F[R_P, P_MIN_QTY] / step - _STEP_EPS))
    per = math.floor(total * F[R_P, P_TP_QUANTITY] + _STEP_EPS) if levels > 1 else total
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
        F[T_IN_PLAN, i], F[T_QTY, i] = 1.0, n
        before, last, count = last, i, count + 1
    if count > 1 and F[T_QTY, last] < min_steps:
        F[T_QTY, before] += F[T_QTY, last]
        F[T_IN_PLAN, last] = 0.0
    avg = F[R_S, S_AVG]
    for i in range(1, levels + 1):
        if F[T_IN_PLAN, i] != 0.0:
            raw = avg * (1 + percent * i / levels)
            F[T_PRICE, i] = ceil_to_step(raw, F[R_P, P_TICK], F[R_P, P_TICK_M], F[R_P, P_TICK_DIV])
            F[T_QTY, i] = floor_to_step(
                F[T_QTY, i] * step, step, F[R_P, P_STEP_M], F[R_P, P_STEP_DIV]
            )
            F[T_FILLED, i] = 0.0


@kernel_part
def plan_ladder(F, Z, fac, thr, pw, base_price: float, levels: int) -> None:  # type: ignore[no-untyped-def]
    """`fills._plan_ladder` with `spacing.ladder_prices` (steps from the strategy's table)."""
    view = Z[R_G, G_VIEW]
    row = view if Z[R_C, C_THR_PER_CANDLE] != 0 else 0
    factor = fac[view]
    previous = base_price
    count = 0
    for k in range(1, levels + 1):
        previous = previous * (1.0 - thr[row, k])
        price = floor_to_step(previous, F[R_P, P_TICK], F[R_P, P_TICK_M], F[R_P, P_TICK_DIV])
        if price <= 0:
            break
        notional = F[R_P, P_BASE_AMOUNT] * factor * pw[k]
        F[D_PRICE, k] = price
        F[D_QTY, k] = floor_to_step(
            notional / price, F[R_P, P_STEP], F[R_P, P_STEP_M], F[R_P, P_STEP_DIV]
        )
        count = k
    Z[R_G, G_NLADDER] = count


@kernel_part
def _end_cycle(F, Z) -> None:  # type: ignore[no-untyped-def]
    """`fills._end_cycle`."""
    Z[R_G, G_CYCLE] += 1
    Z[R_G, G_LEVEL] = 0
    F[R_S, S_Q], F[R_S, S_AVG], F[R_S, S_LAST] = 0.0, 0.0, 0.0
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        F[T_IN_PLAN, i] = 0.0
    Z[R_G, G_NLADDER] = 0
    Z[R_G, G_CYCLES] += 1
    if Z[R_C, C_CYCLE] == 0:
        Z[R_G, G_ACTIVE] = 0


@kernel_part
def apply_fill(F, Z, q: int, fac, tpa, thr, pw, levels: int) -> None:  # type: ignore[no-untyped-def]
    """`fills.apply_fill` of queued fill `q` (its record looked up by sequence, as by id)."""
    seq, role, index = F[Q_SEQ, q], int(F[Q_ROLE, q]), int(F[Q_INDEX, q])
    side, price, qty = int(F[Q_SIDE, q]), F[Q_PRICE, q], F[Q_QTY, q]
    if qty <= 0:
        return
    step, m, div = F[R_P, P_STEP], F[R_P, P_STEP_M], F[R_P, P_STEP_DIV]
    tol = qty_tolerance(F)
    # The record with the fill's sequence (as by id): a take profit's or a ladder level's
    # lives at the order's index, a market order's in M.
    found, rec_cycle, rec_rev, rec_index = False, -1, -1, -1
    if role == ROLE_TP:
        i = index
        if F[T_REC, i] != 0.0 and F[T_REC_SEQ, i] == seq:
            found, rec_cycle, rec_rev, rec_index = True, F[T_REC_CYCLE, i], F[T_REC_REV, i], i
            filled = snap_qty(F[T_REC_FILLED, i] + qty, step, m, div)
            if filled >= F[T_REC_QTY, i] - tol:
                F[T_REC, i] = 0.0
            else:
                F[T_REC_FILLED, i] = filled
    elif role == ROLE_LADDER:
        k = index
        if F[D_REC, k] != 0.0 and F[D_REC_SEQ, k] == seq:
            found, rec_cycle, rec_index = True, F[D_REC_CYCLE, k], k
            drop_ladder(F, Z, k)  # buys fill whole on the paper venue
    else:
        j = _market_slot(F, Z, seq)
        if j >= 0:
            found, rec_cycle, rec_rev = True, int(F[Q_CYCLE, q]), F[M_REV, j]
            rec_index = int(F[M_INDEX, j])
            filled = snap_qty(F[M_FILLED, j] + qty, step, m, div)
            if filled >= F[M_QTY, j] - tol:
                _drop_market(F, Z, j)
            else:
                F[M_FILLED, j] = filled
    F[R_S, S_FEES] += F[Q_FEE, q]
    cycle = Z[R_G, G_CYCLE]
    if side == BUY:
        level = index if int(F[Q_CYCLE, q]) == cycle and role <= ROLE_LADDER else 0
        q_old = F[R_S, S_Q]
        q_new = snap_qty(q_old + qty, step, m, div)
        F[R_S, S_AVG] = (q_old * F[R_S, S_AVG] + qty * price) / q_new
        F[R_S, S_Q] = q_new
        F[R_S, S_LAST] = price
        Z[R_G, G_LEVEL] = max(Z[R_G, G_LEVEL], level)
        if role == ROLE_BASE and Z[R_C, C_LADDER] != 0 and Z[R_G, G_NLADDER] == 0:
            plan_ladder(F, Z, fac, thr, pw, price, levels)
        plan_tp(F, Z, tpa)
        return
    sold = min(qty, F[R_S, S_Q])
    pnl = sold * (price - F[R_S, S_AVG])
    current = found and rec_cycle == cycle and rec_rev == Z[R_G, G_TP_REV]
    if current and 1 <= rec_index <= Z[R_C, C_TP_LEVELS] and F[T_IN_PLAN, rec_index] != 0.0:
        F[T_FILLED, rec_index] = snap_qty(F[T_FILLED, rec_index] + sold, step, m, div)
    F[R_S, S_Q] = snap_qty(F[R_S, S_Q] - sold, step, m, div)
    F[R_S, S_REALIZED] += pnl
    if F[R_S, S_Q] <= tol:
        _end_cycle(F, Z)
        return
    planned = 0.0
    for i in range(1, Z[R_C, C_TP_LEVELS] + 1):
        if F[T_IN_PLAN, i] != 0.0:
            planned += _tp_remaining(F, i)
    if abs(planned - F[R_S, S_Q]) > tol:
        plan_tp(F, Z, tpa)


@kernel_part
def drain(  # type: ignore[no-untyped-def]
    F, Z, out_f, out_i, fac, tpa, thr, pw, close, levels: int
) -> None:
    """Hand every queued fill to the strategy in order; each reaction is sent before the next."""
    while Z[R_G, G_QHEAD] < Z[R_G, G_QTAIL] and Z[R_G, G_ERROR] == 0:
        q = Z[R_G, G_QHEAD]
        Z[R_G, G_QHEAD] = q + 1
        apply_fill(F, Z, q, fac, tpa, thr, pw, levels)
        view_close = close[Z[R_G, G_VIEW]]
        reconcile(F, Z, view_close)
        send(F, Z, out_f, out_i, view_close)
    Z[R_G, G_QHEAD] = 0
    Z[R_G, G_QTAIL] = 0
