"""How fills and intent results change the state: the only two ways trading state moves.

A fill is applied whether or not its order is still recorded (fills may arrive for orders placed
in an earlier call, or after a cancel raced with them): its role and level are read from the
client order id. Fills of ids that are not this bot's are ignored (orphans are the runtime's
reconciliation concern). Entries move the average and trigger a new take-profit plan; sells
realize PnL against the average; a position that reaches zero ends the cycle.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from portfolio_launcher.core.market import InstrumentRules
from portfolio_launcher.core.orders import Fill, Side
from portfolio_launcher.core.records import evolve
from portfolio_launcher.core.rounding import (
    PriceRounding,
    floor_to_step,
    round_price,
    snap_multiple,
)
from portfolio_launcher.strategy.ids import parse_id
from portfolio_launcher.strategy.intents import CancelOrder, IntentResult, Outcome, PlaceOrder
from portfolio_launcher.strategy.params import SafetyOrders, StrategyParams
from portfolio_launcher.strategy.sizing import notional, size_factor
from portfolio_launcher.strategy.spacing import ladder_prices
from portfolio_launcher.strategy.state import (
    HISTORY_LIMIT,
    BotState,
    BotStatus,
    CycleRecord,
    LadderLevel,
    OrderRecord,
    OrderRole,
    TpLevel,
)
from portfolio_launcher.strategy.take_profit import plan_levels

CYCLE_COMPLETE = "cycle complete"


def qty_tolerance(rules: InstrumentRules) -> float:
    """Quantities closer than this are equal: far below one step, far above float noise."""
    return rules.qty_step * 1e-6 if rules.qty_step > 0 else 1e-12


def snap_qty(value: float, rules: InstrumentRules) -> float:
    """A quantity summed from whole steps, with float noise removed (others are left alone)."""
    step = rules.qty_step
    return snap_multiple(value, step) if step > 0 else value


def _orders_after_fill(
    state: BotState, record: OrderRecord, fill: Fill, rules: InstrumentRules
) -> tuple[OrderRecord, ...]:
    """The state's order records after `fill` of the recorded order `record`: dropped when
    fully filled, else moved to the end with its filled quantity."""
    filled = snap_qty(record.filled + fill.quantity, rules)
    cid = fill.client_order_id
    others = tuple([o for o in state.orders if o.client_order_id != cid])  # no generator
    if filled >= record.quantity - qty_tolerance(rules):
        return others
    return (*others, evolve(record, filled=filled))


def replan_tp(state: BotState, params: StrategyParams, rules: InstrumentRules) -> BotState:
    """A fresh take-profit plan for the whole position at its average (new revision)."""
    return evolve(state, **_tp_replanned(state, params, rules, state.average, state.quantity))


def _tp_replanned(
    state: BotState, params: StrategyParams, rules: InstrumentRules, average: float, qty: float
) -> dict[str, Any]:
    """`replan_tp`'s fields for a position of `qty` at `average` (the state's view and
    revision are read, which a fill does not change)."""
    percent = state.view.tp_percent if state.view.tp_percent is not None else params.tp_percent
    return {
        "tp_plan": plan_levels(params, rules, average, qty, percent),
        "tp_revision": state.tp_revision + 1,
    }


def _plan_ladder(
    state: BotState, params: StrategyParams, rules: InstrumentRules, base_price: float
) -> tuple[LadderLevel, ...]:
    levels = params.max_dca_levels or 0
    volatility = state.view.spacing_volatility
    raw = ladder_prices(
        params.spacing, base_price, levels, math.nan if volatility is None else volatility
    )
    factor = size_factor(params, state.view.confidence)
    out = []
    for k, p in enumerate(raw, start=1):
        price = round_price(p, rules.tick_size, PriceRounding.DOWN)
        if price <= 0:
            break
        qty = floor_to_step(notional(params, k, factor) / price, rules.qty_step)
        out.append(LadderLevel(k, price, qty))
    return tuple(out)


def _apply_buy(
    state: BotState,
    changes: dict[str, Any],
    *,
    fill: Fill,
    role: OrderRole,
    level: int,
    params: StrategyParams,
    rules: InstrumentRules,
) -> BotState:
    """`state` with `changes` (the fill's record and fees, which none of the position's
    fields below depend on) and the entry applied, the take profit replanned: one copy."""
    quantity = snap_qty(state.quantity + fill.quantity, rules)
    average = (state.quantity * state.average + fill.quantity * fill.price) / quantity
    started = state.cycle_started if state.in_position else fill.time
    if role is OrderRole.BASE and params.safety_orders is SafetyOrders.LADDER and not state.ladder:
        # `_plan_ladder` reads only the view, which the fill does not change.
        changes["ladder"] = _plan_ladder(state, params, rules, fill.price)
    # `replan_tp` of the new position, taken in the same copy.
    changes.update(_tp_replanned(state, params, rules, average, quantity))
    return evolve(
        state,
        quantity=quantity,
        average=average,
        last_entry_price=fill.price,
        level=max(state.level, level),
        bought_quantity=snap_qty(state.bought_quantity + fill.quantity, rules),
        cycle_started=started,
        **changes,
    )


def _end_cycle(state: BotState, time: int, reason: str, params: StrategyParams) -> BotState:
    record = CycleRecord(
        cycle=state.cycle,
        started=state.cycle_started,
        ended=time,
        level=state.level,
        bought_quantity=state.bought_quantity,
        realized_pnl=state.cycle_realized,
        fees=state.cycle_fees,
        reason=reason,
    )
    status, why = (
        (state.status, state.reason) if params.cycle else (BotStatus.STOPPED, CYCLE_COMPLETE)
    )
    return evolve(
        state,
        status=status,
        reason=why,
        cycle=state.cycle + 1,
        level=0,
        quantity=0.0,
        average=0.0,
        last_entry_price=0.0,
        bought_quantity=0.0,
        cycle_started=0,
        cycle_realized=0.0,
        cycle_fees=0.0,
        cycles_completed=state.cycles_completed + 1,
        tp_plan=(),
        ladder=(),
        history=(*state.history, record)[-HISTORY_LIMIT:],
    )


_END_REASONS = {OrderRole.STOP_LOSS: "stop loss", OrderRole.CLOSE: "closed by the launcher"}


def _apply_sell(
    state: BotState,
    *,
    fill: Fill,
    record: OrderRecord | None,
    role: OrderRole,
    params: StrategyParams,
    rules: InstrumentRules,
) -> BotState:
    sold = min(fill.quantity, state.quantity)
    pnl = sold * (fill.price - state.average)
    plan = state.tp_plan
    if record is not None and record.cycle == state.cycle and record.revision == state.tp_revision:
        plan = tuple(
            [
                evolve(lv, filled=snap_qty(lv.filled + sold, rules))
                if lv.index == record.index
                else lv
                for lv in plan
            ]
        )
    new = evolve(
        state,
        quantity=snap_qty(state.quantity - sold, rules),
        cycle_realized=state.cycle_realized + pnl,
        realized_pnl=state.realized_pnl + pnl,
        tp_plan=plan,
    )
    tol = qty_tolerance(rules)
    if new.quantity <= tol:
        reason = _END_REASONS.get(role, "take profit")
        return _end_cycle(new, fill.time, reason, params)
    planned = sum([lv.remaining for lv in new.tp_plan])  # the same additions, no generator
    if abs(planned - new.quantity) > tol:
        # A sell outside the current plan (a cancelled TP that filled anyway): cover the rest.
        return replan_tp(new, params, rules)
    return new


def apply_fill(
    state: BotState, fill: Fill, params: StrategyParams, rules: InstrumentRules
) -> BotState:
    """The state after one fill of this bot's orders (no intents: see `machine.on_fill`)."""
    parsed = parse_id(fill.client_order_id, state.bot_id)
    if parsed is None or fill.symbol != params.symbol or fill.quantity <= 0:
        return state
    record = state.order(fill.client_order_id)
    role = record.role if record is not None else parsed.role
    changes: dict[str, Any] = {
        "fees": state.fees + fill.fee,
        "cycle_fees": state.cycle_fees + fill.fee,
    }
    if record is not None:
        changes["orders"] = _orders_after_fill(state, record, fill, rules)
    if fill.side is Side.BUY:
        level = parsed.index if parsed.cycle == state.cycle and role.is_entry else 0
        return _apply_buy(
            state, changes, fill=fill, role=role, level=level, params=params, rules=rules
        )
    new = evolve(state, **changes)
    return _apply_sell(new, fill=fill, record=record, role=role, params=params, rules=rules)


def closed_externally(state: BotState, time: int, reason: str, params: StrategyParams) -> BotState:
    """The exchange closed the position without an order of this bot (a liquidation, a manual
    close on the venue): end the cycle as if it had sold, so the bot does not trade on a position
    it no longer has. Its resting orders are left to reconciliation (the venue cancels
    reduce-only orders of a position that is gone)."""
    if not state.in_position:
        return state
    return _end_cycle(evolve(state, quantity=0.0), time, reason, params)


def acknowledge(state: BotState, result: IntentResult) -> BotState:
    """The state after the runtime reports what became of one intent.

    A refused placement removes its pending record, which leaves the state exactly as if the
    intent had never been issued; an accepted one marks it acknowledged. A cancel that was
    accepted, or found the order gone, drops the record; a refused cancel keeps it.
    """
    intent = result.intent
    cid = intent.client_order_id
    orders = state.orders
    for n in range(len(orders)):  # a plain loop: this runs for every order a bot sends
        if orders[n].client_order_id == cid:
            break
    else:
        return state
    record = orders[n]
    # Client ids are unique within a state (each carries the state's serial).
    others = orders[:n] + orders[n + 1 :]
    if isinstance(intent, PlaceOrder):
        if result.outcome is Outcome.ACCEPTED:
            return acknowledge_placed(state, (cid,))
        return evolve(state, orders=others) if record.filled == 0 else state
    assert isinstance(intent, CancelOrder)
    if result.outcome is Outcome.REJECTED:
        return state
    return evolve(state, orders=others)


def acknowledge_placed(state: BotState, client_order_ids: Collection[str]) -> BotState:
    """`acknowledge` of an accepted placement for each of these ids, in one copy of the state.

    A decision's orders are sent one after another; the runtime acknowledges the accepted ones
    together once all are sent (the flag is only kept, never read while sending), instead of
    copying the whole state once per order."""
    wanted = set(client_order_ids)
    if not wanted:
        return state
    orders: list[OrderRecord] = []
    found = False
    for o in state.orders:  # one pass, no generators: this runs for every batch a bot sends
        if o.client_order_id in wanted:
            orders.append(evolve(o, acknowledged=True))
            found = True
        else:
            orders.append(o)
    return evolve(state, orders=tuple(orders)) if found else state


def acknowledge_cancelled(state: BotState, client_order_ids: Collection[str]) -> BotState:
    """`acknowledge` of a cancel that was accepted or found the order gone, for each of these
    ids, in one copy of the state (the same state: each drops its record, if any).

    The runtime sends a decision's cancels one after another and drops their records together
    before the next placement (whose margin check reads them) or at the end of the batch."""
    wanted = set(client_order_ids)
    orders = state.orders
    kept = [o for o in orders if o.client_order_id not in wanted]
    return evolve(state, orders=tuple(kept)) if len(kept) != len(orders) else state


def forget_order(state: BotState, client_order_id: str) -> BotState:
    """Drop a record the venue no longer knows (reconciliation found it neither open nor filled)."""
    return evolve(
        state, orders=tuple(o for o in state.orders if o.client_order_id != client_order_id)
    )


def plan_remaining(plan: tuple[TpLevel, ...]) -> float:
    """Quantity the take-profit plan still has to sell."""
    return sum(lv.remaining for lv in plan)
