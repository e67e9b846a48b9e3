"""The paper exchange's rules for the fast kernel: resting book, account, order checks, fills.

A line-by-line restatement of `exchange/paper` (engine, account, validation, matching) for one
isolated linear position, on the kernel's flat arrays. Every arithmetic expression keeps the
operand order of the original so the floats come out identical (the parity test proves it).
"""

# The state arrays keep the one-letter names of kernel_layout (P, C, S, G, T, D, M, B, Q, X),
# and numba functions take them positionally: hence these rules are off for the kernel modules.
# ruff: noqa: N803, PLR0917

from __future__ import annotations

import math

from numba import njit

from portfolio_launcher.backtest.kernel_layout import (
    B_CYCLE,
    B_INDEX,
    B_LIVE,
    B_PRICE,
    B_QTY,
    B_REDUCE,
    B_RESERVED,
    B_REV,
    B_ROLE,
    B_SEQ,
    B_SIDE,
    BUY,
    ERR_CAPACITY,
    ERR_FILLS,
    F_FEE,
    F_PRICE,
    F_QTY,
    G_ERROR,
    G_NFILLS,
    G_QTAIL,
    G_TIME,
    I_LEVEL,
    I_ROLE,
    I_SIDE,
    I_TIME,
    P_LEVERAGE,
    P_MAKER,
    P_MIN_NOTIONAL,
    P_MIN_QTY,
    P_MMR,
    P_SLIPPAGE_BPS,
    P_TAKER,
    P_TICK,
    P_TICK_DIV,
    P_TICK_M,
    Q_CYCLE,
    Q_FEE,
    Q_INDEX,
    Q_PRICE,
    Q_QTY,
    Q_REV,
    Q_ROLE,
    Q_SEQ,
    Q_SIDE,
    QCAP,
    S_ENTRY,
    S_MARGIN,
    S_PAPER_FEES,
    S_PAPER_REALIZED,
    S_PRICE,
    S_RESERVED,
    S_SIZE,
    S_WALLET,
)
from portfolio_launcher.backtest.kernel_rounding import ceil_to_step, floor_to_step

_REL = 1e-9  # exchange/paper/validation.py's tolerance on minimums


@njit(cache=True)
def same_quantity(a: float, b: float) -> bool:
    """`matching.same_quantity` (math.isclose with rel 1e-9, abs 1e-12)."""
    if a == b:
        return True
    return abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


@njit(cache=True)
def _before(B, a: int, b: int, side: int) -> bool:  # type: ignore[no-untyped-def]
    """Book priority: buys highest first, sells lowest first, then the older order."""
    pa, pb = B[B_PRICE, a], B[B_PRICE, b]
    if pa != pb:
        return bool(pa > pb if side == BUY else pa < pb)
    return bool(B[B_SEQ, a] < B[B_SEQ, b])


@njit(cache=True)
def head(B, side: int, after: int) -> int:  # type: ignore[no-untyped-def]
    """Column of the first resting order of `side` in book priority that comes after column
    `after` (-1: from the top); -1 when there is none."""
    best = -1
    for c in range(B.shape[1]):
        if B[B_LIVE, c] == 0.0 or B[B_SIDE, c] != side or c == after:
            continue
        if after >= 0 and not _before(B, after, c, side):
            continue
        if best < 0 or _before(B, c, best, side):
            best = c
    return best


@njit(cache=True)
def sync_reserved(S, B) -> None:  # type: ignore[no-untyped-def]
    """The account's reserved margin: the book's sum in its own order (buys first, by priority;
    resting sells reserve nothing here)."""
    total = 0.0
    c = head(B, BUY, -1)
    while c >= 0:
        total += B[B_RESERVED, c]
        c = head(B, BUY, c)
    S[S_RESERVED] = total


@njit(cache=True)
def free_margin(S) -> float:  # type: ignore[no-untyped-def]
    """Isolated account: wallet less position margin and reservations."""
    return float(S[S_WALLET] - (0.0 + (S[S_MARGIN] + S[S_RESERVED])))


@njit(cache=True)
def liquidation_price(P, S) -> float:  # type: ignore[no-untyped-def]
    """`matching.liquidation_price` of the long position (0.0: none)."""
    size = S[S_SIZE]
    if size <= 0.0:
        return 0.0
    p = (S[S_ENTRY] - S[S_MARGIN] / size) / (1.0 - P[P_MMR])
    return float(max(p, 0.0))


@njit(cache=True)
def _charge(S, amount: float) -> None:  # type: ignore[no-untyped-def]
    """`Account.charge`: what free balance cannot cover comes out of the position's margin."""
    if amount > 0.0:
        shortfall = amount - max(0.0, S[S_WALLET] - (0.0 + (S[S_MARGIN] + S[S_RESERVED])))
        if shortfall > 0.0 and S[S_MARGIN] > 0.0:
            S[S_MARGIN] -= min(shortfall, S[S_MARGIN])
    S[S_WALLET] -= amount


@njit(cache=True)
def _apply_fill(P, S, side: int, quantity: float, price: float, margin_price: float) -> None:  # type: ignore[no-untyped-def]
    """`Account.apply_fill` for a long-only one-way position."""
    realized = 0.0
    remaining = quantity
    size = S[S_SIZE]
    if size != 0.0 and (size > 0.0) != (side > 0):
        held = abs(size)
        close_qty = held if same_quantity(quantity, held) else min(quantity, held)
        realized = close_qty * (price - S[S_ENTRY]) * 1.0
        if close_qty == held:
            S[S_SIZE], S[S_ENTRY], S[S_MARGIN] = 0.0, 0.0, 0.0
            remaining = 0.0 if same_quantity(quantity, held) else quantity - held
        else:
            S[S_MARGIN] -= S[S_MARGIN] * close_qty / held
            S[S_SIZE] -= 1.0 * close_qty
            remaining = 0.0
    if remaining > 0.0:
        held = abs(S[S_SIZE])
        S[S_ENTRY] = (held * S[S_ENTRY] + remaining * price) / (held + remaining)
        S[S_SIZE] += side * remaining
        S[S_MARGIN] += remaining * margin_price / P[P_LEVERAGE]
    S[S_PAPER_REALIZED] += realized
    S[S_WALLET] += realized


@njit(cache=True)
def execute(  # type: ignore[no-untyped-def]
    P, S, G, Q, out_f, out_i, order, price: float, maker: bool, margin_price: float
) -> None:
    """`PaperEngine.execute`: book the fill, record it, and queue it for the strategy.

    `order` = (seq, role, index, cycle, rev, side, quantity, reduce_only) of the filled order.
    """
    seq, role, index, cycle, rev, side, qty, reduce = order
    if reduce:
        qty = min(qty, abs(S[S_SIZE]))
    rate = P[P_MAKER] if maker else P[P_TAKER]
    fee = abs(price * qty) * rate
    _apply_fill(P, S, side, qty, price, margin_price)
    S[S_PAPER_FEES] += fee
    _charge(S, fee)
    n = G[G_NFILLS]
    if n < out_f.shape[1]:
        out_f[F_PRICE, n], out_f[F_QTY, n], out_f[F_FEE, n] = price, qty, fee
        out_i[I_TIME, n], out_i[I_SIDE, n] = G[G_TIME], side
        out_i[I_ROLE, n], out_i[I_LEVEL, n] = role, index
        G[G_NFILLS] = n + 1
    else:
        G[G_ERROR] = ERR_FILLS
    t = G[G_QTAIL]
    if t >= QCAP:
        G[G_ERROR] = ERR_CAPACITY
        return
    Q[Q_SEQ, t], Q[Q_ROLE, t], Q[Q_INDEX, t], Q[Q_CYCLE, t] = seq, role, index, cycle
    Q[Q_REV, t], Q[Q_SIDE, t], Q[Q_PRICE, t], Q[Q_QTY, t], Q[Q_FEE, t] = rev, side, price, qty, fee
    G[G_QTAIL] = t + 1


@njit(cache=True)
def taker_price(P, side: int, limit: float, reference: float) -> float:  # type: ignore[no-untyped-def]
    """`PaperEngine.taker_price` (`limit` NaN: a market order)."""
    slip = P[P_SLIPPAGE_BPS]
    raw = reference * (1.0 + side * slip * 1e-4)
    if not math.isnan(limit):
        raw = min(raw, limit) if side == BUY else max(raw, limit)
    if slip == 0.0:
        return float(raw)
    tick, m, div = P[P_TICK], P[P_TICK_M], P[P_TICK_DIV]
    rounded = ceil_to_step(raw, tick, m, div) if side == BUY else floor_to_step(raw, tick, m, div)
    if not math.isnan(limit):
        rounded = min(rounded, limit) if side == BUY else max(rounded, limit)
    return rounded


@njit(cache=True)
def place(P, S, G, B, Q, out_f, out_i, order, limit: float) -> bool:  # type: ignore[no-untyped-def]
    """`PaperEngine.place` after the venue checks; False when the venue refuses the order.

    Quantities and prices reach it already on the step and tick (the strategy rounds them),
    so the multiple-of-step checks of `validation.check_request` always pass here.
    """
    seq, role, index, cycle, rev, side, qty, reduce = order
    reference = S[S_PRICE]
    if qty < P[P_MIN_QTY] * (1 - _REL):
        return False
    judged = reference if math.isnan(limit) else limit
    if qty * judged < P[P_MIN_NOTIONAL] * (1 - _REL):
        return False
    if reduce:
        size = S[S_SIZE]
        if not (size > 0 and side != BUY):
            return False
        if qty > abs(size) and not same_quantity(qty, abs(size)):
            return False
    marketable = math.isnan(limit) or (reference <= limit if side == BUY else reference >= limit)
    if marketable:
        price = taker_price(P, side, limit, reference)
        opening = qty if side == BUY else max(0.0, qty - abs(S[S_SIZE]))
        needed = opening * price / P[P_LEVERAGE] + qty * price * P[P_TAKER]
        if not reduce and needed > free_margin(S):
            return False
        execute(P, S, G, Q, out_f, out_i, order, price, False, price)
        return True
    reserved = 0.0
    if not reduce:
        reserved = qty * limit * (1.0 / P[P_LEVERAGE] + P[P_MAKER])
        if reserved > free_margin(S):
            return False
    for c in range(B.shape[1]):
        if B[B_LIVE, c] == 0.0:
            B[B_LIVE, c], B[B_SEQ, c], B[B_SIDE, c], B[B_PRICE, c] = 1.0, seq, side, limit
            B[B_QTY, c], B[B_RESERVED, c], B[B_REDUCE, c] = qty, reserved, 1.0 if reduce else 0.0
            B[B_ROLE, c], B[B_INDEX, c], B[B_CYCLE, c], B[B_REV, c] = role, index, cycle, rev
            sync_reserved(S, B)
            return True
    G[G_ERROR] = ERR_CAPACITY
    return False


@njit(cache=True)
def cancel(S, B, seq: float) -> bool:  # type: ignore[no-untyped-def]
    """Cancel the resting order with this sequence; False (GONE) when it is not resting."""
    for c in range(B.shape[1]):
        if B[B_LIVE, c] != 0.0 and B[B_SEQ, c] == seq:
            B[B_LIVE, c] = 0.0
            sync_reserved(S, B)
            return True
    return False


@njit(cache=True)
def book_order(B, c: int):  # type: ignore[no-untyped-def]
    """The (seq, role, index, cycle, rev, side, quantity, reduce_only) tuple of a resting order."""
    return (
        B[B_SEQ, c],
        int(B[B_ROLE, c]),
        int(B[B_INDEX, c]),
        int(B[B_CYCLE, c]),
        int(B[B_REV, c]),
        int(B[B_SIDE, c]),
        B[B_QTY, c],
        B[B_REDUCE, c] != 0.0,
    )
