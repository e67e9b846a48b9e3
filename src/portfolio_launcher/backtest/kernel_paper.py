"""The paper exchange's rules for the fast kernel: resting book, account, order checks, fills.

A line-by-line restatement of `exchange/paper` (engine, account, validation, matching) for one
isolated linear position, on the kernel's flat arrays. Every arithmetic expression keeps the
operand order of the original so the floats come out identical (the parity test proves it).

The book is kept ranked instead of searched: each side's resting orders are listed in priority
order (kernel_layout's L_BUY, L_SELL; a placement is inserted from the back, a fill or a cancel
closes the gap) and free columns sit on a stack (L_FREE). The reserved margin is re-added over
the resting buys in priority order after each change, as the engine sums it: a running total
would differ from that sum in the last bits once an order other than the last one leaves.
"""

# The state arrays keep kernel_layout's one-letter names (F, Z), and numba functions take
# them positionally: hence these rules are off for the kernel modules.
# ruff: noqa: N803, PLR0917

from __future__ import annotations

import math

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
    G_NBUY,
    G_NFILLS,
    G_NFREE,
    G_NSELL,
    G_QTAIL,
    G_TIME,
    I_LEVEL,
    I_ROLE,
    I_SIDE,
    I_TIME,
    L_BUY,
    L_FREE,
    L_SELL,
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
    R_G,
    R_P,
    R_S,
    S_ENTRY,
    S_MARGIN,
    S_PAPER_FEES,
    S_PAPER_REALIZED,
    S_PRICE,
    S_RESERVED,
    S_SIZE,
    S_WALLET,
    kernel_part,
    list_drop,
)
from portfolio_launcher.backtest.kernel_rounding import ceil_to_step, floor_to_step

_REL = 1e-9  # exchange/paper/validation.py's tolerance on minimums


@kernel_part
def same_quantity(a: float, b: float) -> bool:
    """`matching.same_quantity` (math.isclose with rel 1e-9, abs 1e-12)."""
    if a == b:
        return True
    return abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


@kernel_part
def _before(F, a: int, b: int, side: int) -> bool:  # type: ignore[no-untyped-def]
    """Book priority: buys highest first, sells lowest first, then the older order."""
    pa, pb = F[B_PRICE, a], F[B_PRICE, b]
    if pa != pb:
        return bool(pa > pb if side == BUY else pa < pb)
    return bool(F[B_SEQ, a] < F[B_SEQ, b])


@kernel_part
def head(Z, side: int) -> int:  # type: ignore[no-untyped-def]
    """Column of the first resting order of `side` in book priority; -1 when there is none."""
    if side == BUY:
        return int(Z[L_BUY, 0]) if Z[R_G, G_NBUY] > 0 else -1
    return int(Z[L_SELL, 0]) if Z[R_G, G_NSELL] > 0 else -1


@kernel_part
def _insert(F, Z, c: int, side: int) -> None:  # type: ignore[no-untyped-def]
    """Rank column `c` in its side's priority list (from the back: a new order is the newest,
    and a ladder's next level is the lowest buy, so it usually stays last)."""
    row, count = (L_BUY, G_NBUY) if side == BUY else (L_SELL, G_NSELL)
    r = Z[R_G, count]
    while r > 0 and _before(F, c, Z[row, r - 1], side):
        Z[row, r] = Z[row, r - 1]
        r -= 1
    Z[row, r] = c
    Z[R_G, count] += 1


@kernel_part
def _unlist(F, Z, c: int) -> None:  # type: ignore[no-untyped-def]
    """Take column `c` off the book: out of its side's list, onto the free stack."""
    row, count = (L_BUY, G_NBUY) if F[B_SIDE, c] == BUY else (L_SELL, G_NSELL)
    list_drop(Z, row, count, c)
    F[B_LIVE, c] = 0.0
    Z[L_FREE, Z[R_G, G_NFREE]] = c
    Z[R_G, G_NFREE] += 1


@kernel_part
def sync_reserved(F, Z) -> None:  # type: ignore[no-untyped-def]
    """The account's reserved margin: the book's sum in its own order (buys first, by priority;
    resting sells reserve nothing here)."""
    total = 0.0
    for r in range(Z[R_G, G_NBUY]):
        total += F[B_RESERVED, Z[L_BUY, r]]
    F[R_S, S_RESERVED] = total


@kernel_part
def take(F, Z, c: int) -> None:  # type: ignore[no-untyped-def]
    """Column `c` leaves the book (it fills or is cancelled)."""
    _unlist(F, Z, c)
    if F[B_SIDE, c] == BUY:
        sync_reserved(F, Z)


@kernel_part
def free_margin(F) -> float:  # type: ignore[no-untyped-def]
    """Isolated account: wallet less position margin and reservations."""
    return float(F[R_S, S_WALLET] - (0.0 + (F[R_S, S_MARGIN] + F[R_S, S_RESERVED])))


@kernel_part
def liquidation_price(F) -> float:  # type: ignore[no-untyped-def]
    """`matching.liquidation_price` of the long position (0.0: none)."""
    size = F[R_S, S_SIZE]
    if size <= 0.0:
        return 0.0
    p = (F[R_S, S_ENTRY] - F[R_S, S_MARGIN] / size) / (1.0 - F[R_P, P_MMR])
    return float(max(p, 0.0))


@kernel_part
def _charge(F, amount: float) -> None:  # type: ignore[no-untyped-def]
    """`Account.charge`: what free balance cannot cover comes out of the position's margin."""
    if amount > 0.0:
        shortfall = amount - max(
            0.0, F[R_S, S_WALLET] - (0.0 + (F[R_S, S_MARGIN] + F[R_S, S_RESERVED]))
        )
        if shortfall > 0.0 and F[R_S, S_MARGIN] > 0.0:
            F[R_S, S_MARGIN] -= min(shortfall, F[R_S, S_MARGIN])
    F[R_S, S_WALLET] -= amount


@kernel_part
def _apply_fill(F, side: int, quantity: float, price: float, margin_price: float) -> None:  # type: ignore[no-untyped-def]
    """`Account.apply_fill` for a long-only one-way position."""
    realized = 0.0
    remaining = quantity
    size = F[R_S, S_SIZE]
    if size != 0.0 and (size > 0.0) != (side > 0):
        held = abs(size)
        close_qty = held if same_quantity(quantity, held) else min(quantity, held)
        realized = close_qty * (price - F[R_S, S_ENTRY]) * 1.0
        if close_qty == held:
            F[R_S, S_SIZE], F[R_S, S_ENTRY], F[R_S, S_MARGIN] = 0.0, 0.0, 0.0
            remaining = 0.0 if same_quantity(quantity, held) else quantity - held
        else:
            F[R_S, S_MARGIN] -= F[R_S, S_MARGIN] * close_qty / held
            F[R_S, S_SIZE] -= 1.0 * close_qty
            remaining = 0.0
    if remaining > 0.0:
        held = abs(F[R_S, S_SIZE])
        F[R_S, S_ENTRY] = (held * F[R_S, S_ENTRY] + remaining * price) / (held + remaining)
        F[R_S, S_SIZE] += side * remaining
        F[R_S, S_MARGIN] += remaining * margin_price / F[R_P, P_LEVERAGE]
    F[R_S, S_PAPER_REALIZED] += realized
    F[R_S, S_WALLET] += realized


@kernel_part
def execute(  # type: ignore[no-untyped-def]
    F, Z, out_f, out_i, order, price: float, maker: bool, margin_price: float
) -> None:
    """`PaperEngine.execute`: book the fill, record it, and queue it for the strategy.

    `order` = (seq, role, index, cycle, rev, side, quantity, reduce_only) of the filled order.
    """
    seq, role, index, cycle, rev, side, qty, reduce = order
    if reduce:
        qty = min(qty, abs(F[R_S, S_SIZE]))
    rate = F[R_P, P_MAKER] if maker else F[R_P, P_TAKER]
    fee = abs(price * qty) * rate
    _apply_fill(F, side, qty, price, margin_price)
    F[R_S, S_PAPER_FEES] += fee
    _charge(F, fee)
    n = Z[R_G, G_NFILLS]
    if n < out_f.shape[1]:
        out_f[F_PRICE, n], out_f[F_QTY, n], out_f[F_FEE, n] = price, qty, fee
        out_i[I_TIME, n], out_i[I_SIDE, n] = Z[R_G, G_TIME], side
        out_i[I_ROLE, n], out_i[I_LEVEL, n] = role, index
        Z[R_G, G_NFILLS] = n + 1
    else:
        Z[R_G, G_ERROR] = ERR_FILLS
    t = Z[R_G, G_QTAIL]
    if t >= QCAP:
        Z[R_G, G_ERROR] = ERR_CAPACITY
        return
    F[Q_SEQ, t], F[Q_ROLE, t], F[Q_INDEX, t], F[Q_CYCLE, t] = seq, role, index, cycle
    F[Q_REV, t], F[Q_SIDE, t], F[Q_PRICE, t], F[Q_QTY, t], F[Q_FEE, t] = rev, side, price, qty, fee
    Z[R_G, G_QTAIL] = t + 1


@kernel_part
def taker_price(F, side: int, limit: float, reference: float) -> float:  # type: ignore[no-untyped-def]
    """`PaperEngine.taker_price` (`limit` NaN: a market order)."""
    slip = F[R_P, P_SLIPPAGE_BPS]
    raw = reference * (1.0 + side * slip * 1e-4)
    if not math.isnan(limit):
        raw = min(raw, limit) if side == BUY else max(raw, limit)
    if slip == 0.0:
        return float(raw)
    tick, m, div = F[R_P, P_TICK], F[R_P, P_TICK_M], F[R_P, P_TICK_DIV]
    rounded = ceil_to_step(raw, tick, m, div) if side == BUY else floor_to_step(raw, tick, m, div)
    if not math.isnan(limit):
        rounded = min(rounded, limit) if side == BUY else max(rounded, limit)
    return rounded


@kernel_part
def place(F, Z, out_f, out_i, order, limit: float) -> bool:  # type: ignore[no-untyped-def]
    """`PaperEngine.place` after the venue checks; False when the venue refuses the order.

    Quantities and prices reach it already on the step and tick (the strategy rounds them),
    so the multiple-of-step checks of `validation.check_request` always pass here.
    """
    seq, role, index, cycle, rev, side, qty, reduce = order
    reference = F[R_S, S_PRICE]
    if qty < F[R_P, P_MIN_QTY] * (1 - _REL):
        return False
    judged = reference if math.isnan(limit) else limit
    if qty * judged < F[R_P, P_MIN_NOTIONAL] * (1 - _REL):
        return False
    if reduce:
        size = F[R_S, S_SIZE]
        if not (size > 0 and side != BUY):
            return False
        if qty > abs(size) and not same_quantity(qty, abs(size)):
            return False
    marketable = math.isnan(limit) or (reference <= limit if side == BUY else reference >= limit)
    if marketable:
        price = taker_price(F, side, limit, reference)
        opening = qty if side == BUY else max(0.0, qty - abs(F[R_S, S_SIZE]))
        needed = opening * price / F[R_P, P_LEVERAGE] + qty * price * F[R_P, P_TAKER]
        if not reduce and needed > free_margin(F):
            return False
        execute(F, Z, out_f, out_i, order, price, False, price)
        return True
    reserved = 0.0
    if not reduce:
        reserved = qty * limit * (1.0 / F[R_P, P_LEVERAGE] + F[R_P, P_MAKER])
        if reserved > free_margin(F):
            return False
    nfree = Z[R_G, G_NFREE]
    if nfree == 0:
        Z[R_G, G_ERROR] = ERR_CAPACITY
        return False
    c = Z[L_FREE, nfree - 1]
    Z[R_G, G_NFREE] = nfree - 1
    F[B_LIVE, c], F[B_SEQ, c], F[B_SIDE, c], F[B_PRICE, c] = 1.0, seq, side, limit
    F[B_QTY, c], F[B_RESERVED, c], F[B_REDUCE, c] = qty, reserved, 1.0 if reduce else 0.0
    F[B_ROLE, c], F[B_INDEX, c], F[B_CYCLE, c], F[B_REV, c] = role, index, cycle, rev
    _insert(F, Z, c, side)
    if side == BUY:
        sync_reserved(F, Z)
    return True


@kernel_part
def cancel(F, Z, seq: float) -> bool:  # type: ignore[no-untyped-def]
    """Cancel the resting order with this sequence; False (GONE) when it is not resting."""
    for row, count in ((L_BUY, G_NBUY), (L_SELL, G_NSELL)):
        for r in range(Z[R_G, count]):
            c = Z[row, r]
            if F[B_SEQ, c] == seq:
                take(F, Z, c)
                return True
    return False


@kernel_part
def book_order(F, c: int):  # type: ignore[no-untyped-def]
    """The (seq, role, index, cycle, rev, side, quantity, reduce_only) tuple of a resting order."""
    return (
        F[B_SEQ, c],
        int(F[B_ROLE, c]),
        int(F[B_INDEX, c]),
        int(F[B_CYCLE, c]),
        int(F[B_REV, c]),
        int(F[B_SIDE, c]),
        F[B_QTY, c],
        F[B_REDUCE, c] != 0.0,
    )
