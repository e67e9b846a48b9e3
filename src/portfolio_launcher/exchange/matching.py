"""Pure candle-path fill rules shared by the paper exchange, the backtester and the fast kernel.

Everything here is a plain function over floats and ints (sides are +1 buy / -1 sell) so that a
numba kernel can mirror it line by line and give identical fills. No clock, no I/O: time and data
are arguments.

The walk over a candle is resumable: the caller keeps a cursor (the current price on the path)
and asks for the next event between the cursor and the end of the current segment. After a fill
the cursor sits at the fill price, so orders the bot places or amends in response are matched
against the rest of the same path.
"""

from __future__ import annotations

import math

BUY = 1
SELL = -1

STAGE_NONE = -1
"""The order is not reached between the cursor and the segment end."""
STAGE_AT_CURSOR = 0
"""Already marketable at the cursor: the path gapped through it; it fills at the cursor price."""
STAGE_ON_SEGMENT = 1
"""Reached while the price travels along the segment; it fills at its own price."""

FUNDING_PERIOD_MS = 8 * 3_600_000
"""Funding is exchanged at 00:00, 08:00 and 16:00 UTC (epoch multiples of 8 hours)."""


def candle_path(open_: float, high: float, low: float, close: float) -> tuple[float, ...]:
    """The assumed price path inside one candle.

    `open -> low -> high -> close` for a rising (or flat) candle, else `open -> high -> low ->
    close`: the conventional pessimistic-for-nobody choice every engine of ours shares.
    """
    if close >= open_:
        return (open_, low, high, close)
    return (open_, high, low, close)


def update_path(
    last: float, prev_high: float, prev_low: float, *, high: float, low: float, close: float
) -> tuple[float, ...]:
    """The path of a repeated update of a candle already walked up to `last`.

    Only new extremes are travelled: a high or low the earlier updates already reached has been
    matched. New extremes are visited low first when the update closes at or above `last`,
    mirroring `candle_path`.
    """
    points = [last]
    extremes: list[float] = []
    if low < prev_low:
        extremes.append(low)
    if high > prev_high:
        extremes.append(high)
    if close < last:
        extremes.reverse()
    points.extend(extremes)
    points.append(close)
    return tuple(points)


def is_marketable(side: int, limit: float, price: float) -> bool:
    """A buy limit at or above the price, or a sell limit at or below it, would trade now."""
    if side == BUY:
        return price <= limit
    return price >= limit


def hit_stage(side: int, trigger: float, cursor: float, end: float) -> int:
    """Whether a resting order (or liquidation trigger) fires moving from `cursor` to `end`.

    A buy trigger fires when price comes down to it, a sell trigger when price comes up to it.
    A long's liquidation behaves as a buy-side trigger (fires on the way down), a short's as a
    sell-side one.
    """
    if is_marketable(side, trigger, cursor):
        return STAGE_AT_CURSOR
    if side == BUY:
        return STAGE_ON_SEGMENT if end <= trigger else STAGE_NONE
    return STAGE_ON_SEGMENT if end >= trigger else STAGE_NONE


def travel_distance(side: int, trigger: float, cursor: float) -> float:
    """How far the price travels from the cursor before reaching `trigger` (<= 0 when already
    through it: the deeper through, the earlier it would have been reached)."""
    if side == BUY:
        return cursor - trigger
    return trigger - cursor


def side_rank(side: int, cursor: float, end: float) -> int:
    """0 for the side a move from `cursor` to `end` fills (buys going down), else 1.

    Only matters at a point where orders of both sides are marketable (a first candle after
    orders were placed blind); there, the side the price is heading into goes first.
    """
    heading_up = end > cursor
    if (side == SELL) == heading_up:
        return 0
    return 1


def event_key(
    side: int, trigger: float, seq: int, cursor: float, end: float
) -> tuple[int, int, float, int] | None:
    """Sort key of an order's fill on the segment, or None when it does not fill.

    Events are ordered: marketable at the cursor first, then the side being travelled into,
    then by price along the direction of travel, then by creation sequence (a liquidation uses
    sequence -1 so it precedes an order at the same price).
    """
    stage = hit_stage(side, trigger, cursor, end)
    if stage == STAGE_NONE:
        return None
    return (stage, side_rank(side, cursor, end), travel_distance(side, trigger, cursor), seq)


def resting_fill_price(stage: int, limit: float, cursor: float) -> float:
    """A resting limit fills at its price, or at the cursor when the path gapped through it."""
    if stage == STAGE_AT_CURSOR:
        return cursor
    return limit


def market_fill_price(side: int, reference: float, slippage_bps: float) -> float:
    """Reference price moved against the taker by `slippage_bps` basis points."""
    return reference * (1.0 + side * slippage_bps * 1e-4)


def marketable_limit_fill_price(
    side: int, limit: float, reference: float, slippage_bps: float
) -> float:
    """A limit marketable when placed trades as a taker, but never worse than its limit."""
    price = market_fill_price(side, reference, slippage_bps)
    if side == BUY:
        return min(price, limit)
    return max(price, limit)


def fee_amount(price: float, quantity: float, rate: float) -> float:
    """Fee in quote currency on a fill's notional."""
    return abs(price * quantity) * rate


def liquidation_price(size: float, entry: float, margin: float, mmr: float) -> float:
    """Price at which the position's equity falls to its maintenance margin.

    Solves `margin + size * (p - entry) = mmr * |size| * p` for `p`. For an isolated position
    with `margin = |size| * entry / leverage` this is the familiar
    `entry * (1 - 1/lev) / (1 - mmr)` (long) and `entry * (1 + 1/lev) / (1 + mmr)` (short).
    Returns 0.0 when the position can never be liquidated (flat, or a long whose margin covers
    its whole notional) so the caller can treat 0.0 as "none".
    """
    if size > 0.0:
        p = (entry - margin / size) / (1.0 - mmr)
        return max(p, 0.0)
    if size < 0.0:
        q = -size
        return (entry + margin / q) / (1.0 + mmr)
    return 0.0


def funding_boundary(time_ms: int) -> int:
    """The latest funding instant at or before `time_ms`."""
    return time_ms - time_ms % FUNDING_PERIOD_MS


def funding_count(last_boundary: int, time_ms: int) -> int:
    """How many funding instants fall in `(last_boundary, time_ms]` (several after a data gap)."""
    return max(0, (funding_boundary(time_ms) - last_boundary) // FUNDING_PERIOD_MS)


def funding_payment(size: float, mark: float, rate: float) -> float:
    """Funding paid by the position (negative when received): longs pay a positive rate."""
    return size * mark * rate


def same_quantity(a: float, b: float) -> bool:
    """Equal up to float noise (relative 1e-9), for position and order sizes."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
