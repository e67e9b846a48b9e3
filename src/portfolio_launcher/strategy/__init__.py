"""The DCA strategy as a pure, deterministic state machine (dca-strategy.md).

The protocol the runtime follows (backtest, demo and live alike):

1. At each candle close call `decide(state, window, fills, ctx)` with the last `window_size`
   closed candles (`Window`, oldest first), the fills not yet handed over, and a `Context`
   (params, instrument rules, the margin budget the portfolio grants the bot). Between closes,
   hand each fill to `on_fill(state, fill, ctx)` as it happens (the paper exchange awaits this
   before matching the rest of the candle). Both return a `Decision`.
2. Keep `decision.state` at once (persist it): every placement in it is recorded as a pending
   order, so a fill that arrives before the venue's answer is already attributed.
3. Send `decision.intents` in order through the risk gate and the exchange. After each, call
   `acknowledge(state, IntentResult(intent, outcome))` and keep the state it returns:
   `ACCEPTED`, `REJECTED` (risk gate or venue refused: the pending record is removed, which leaves
   the state exactly as if the intent had never been issued) or `GONE` (a cancel found the order
   no longer open). When a cancel comes back `REJECTED`, report the remaining intents of that
   batch as `REJECTED` without sending them: the placements after a cancel assume it succeeded.
   A request that timed out may be resent with the same client order id (ids are idempotent).
   The accepted placements may instead be acknowledged together once the batch is sent, with
   `acknowledge_placed(state, ids)`, and consecutive cancels that were accepted or found the
   order gone together before the next placement, with `acknowledge_cancelled(state, ids)`:
   the same state, in one copy (the runtime does both).
4. Nothing else changes trading state. Fills are the only facts that move the position; an
   entry that was skipped or refused is reconsidered at the next decision; missing take-profit or
   ladder orders are re-placed by the next call. `forget_order` drops a record that
   reconciliation with the venue found neither open nor filled.
5. `summarize(state, params)` gives the status screens their figures; `BotState.to_json` /
   `BotState.from_json` persist the state exactly.

Its public names load their submodule on first use (PEP 562), so a reader of stored state (the
status screen, which needs `BotState` and `summarize`) does not pay for the decision code and
the numba indicator kernels behind it. `from portfolio_launcher.strategy import decide` works as
before.
"""

from typing import TYPE_CHECKING

from portfolio_launcher.core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from portfolio_launcher.strategy.fills import (
        acknowledge,
        acknowledge_cancelled,
        acknowledge_placed,
        apply_fill,
        closed_externally,
        forget_order,
    )
    from portfolio_launcher.strategy.ids import make_id, parse_id
    from portfolio_launcher.strategy.intents import (
        CancelOrder,
        Decision,
        Intent,
        IntentResult,
        Outcome,
        PlaceOrder,
    )
    from portfolio_launcher.strategy.machine import (
        Context,
        close_out,
        decide,
        on_fill,
        quiet_band,
        quiet_view,
    )
    from portfolio_launcher.strategy.params import (
        DynamicTpParams,
        IndicatorParams,
        SafetyOrders,
        SpacingKind,
        SpacingParams,
        StrategyParams,
        TpStrategy,
    )
    from portfolio_launcher.strategy.state import BotState, BotStatus, OrderRecord, OrderRole
    from portfolio_launcher.strategy.status import BotSummary, summarize
    from portfolio_launcher.strategy.window import Window

# Public name -> the submodule that defines it (the same names as the imports above).
_HOMES: dict[str, str] = {
    "acknowledge": "fills",
    "acknowledge_cancelled": "fills",
    "acknowledge_placed": "fills",
    "apply_fill": "fills",
    "closed_externally": "fills",
    "forget_order": "fills",
    "make_id": "ids",
    "parse_id": "ids",
    "CancelOrder": "intents",
    "Decision": "intents",
    "Intent": "intents",
    "IntentResult": "intents",
    "Outcome": "intents",
    "PlaceOrder": "intents",
    "Context": "machine",
    "close_out": "machine",
    "decide": "machine",
    "on_fill": "machine",
    "quiet_band": "machine",
    "quiet_view": "machine",
    "DynamicTpParams": "params",
    "IndicatorParams": "params",
    "SafetyOrders": "params",
    "SpacingKind": "params",
    "SpacingParams": "params",
    "StrategyParams": "params",
    "TpStrategy": "params",
    "BotState": "state",
    "BotStatus": "state",
    "OrderRecord": "state",
    "OrderRole": "state",
    "BotSummary": "status",
    "summarize": "status",
    "Window": "window",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())


__all__ = [
    "BotState",
    "BotStatus",
    "BotSummary",
    "CancelOrder",
    "Context",
    "Decision",
    "DynamicTpParams",
    "IndicatorParams",
    "Intent",
    "IntentResult",
    "OrderRecord",
    "OrderRole",
    "Outcome",
    "PlaceOrder",
    "SafetyOrders",
    "SpacingKind",
    "SpacingParams",
    "StrategyParams",
    "TpStrategy",
    "Window",
    "acknowledge",
    "acknowledge_cancelled",
    "acknowledge_placed",
    "apply_fill",
    "close_out",
    "closed_externally",
    "decide",
    "forget_order",
    "make_id",
    "on_fill",
    "parse_id",
    "quiet_band",
    "quiet_view",
    "summarize",
]
