"""Collects what one market step changed, for one atomic commit to the state store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from portfolio_launcher.core.orders import Fill, Order, OrderRequest
from portfolio_launcher.store.protocol import (
    AlertRecord,
    Correction,
    FillRecord,
    LedgerEntry,
    OrderEvent,
)

Listener = Callable[[str, int, str], None]
"""(source, logging level, message): where recorded events are also logged."""

Admit = Callable[[str, str, str, str, int], bool]
"""(level, source, code, message, market time) -> keep it? The composition root passes the alert
center's cooldown de-duplication (and fan-out to notifiers) here."""

_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}
_INFO, _WARNING = logging.INFO, logging.WARNING
_ROUTINE = ("placed", "cancelled")
"""Order statuses logged at INFO; the others (refusals) at WARNING."""


class StepRecorder:
    """Append-only buffers for the current step; `drain()` hands them over and starts anew."""

    def __init__(
        self,
        listener: Listener | None = None,
        admit: Admit | None = None,
        *,
        listen_level: int = logging.NOTSET,
    ) -> None:
        """`listen_level`: events logged below it are not formatted nor passed to `listener`
        (the run's log level, whose loggers would drop them: a backtest logs warnings only)."""
        self._listener = listener
        self._admit = admit
        self._listen_level = listen_level
        self.orders: list[OrderEvent] = []
        self.fills: list[FillRecord] = []
        self.ledger: list[LedgerEntry] = []
        self.alerts: list[AlertRecord] = []
        self.corrections: list[Correction] = []
        self.dirty_bots: set[str] = set()
        self.alert_count = 0

    def order(
        self,
        bot_id: str,
        request: OrderRequest | Order,
        status: str,
        time_ms: int,
        reason: str = "",
    ) -> None:
        """Record an order's placement, refusal or cancellation: of the request, or of the
        venue's order (a cancellation), whose fields of the same names are the request's."""
        # `str()` of a StrEnum is its value, without the `value` property's descriptor call.
        side = str(request.side)
        self.orders.append(
            OrderEvent(
                bot_id,
                request.client_order_id,
                request.symbol,
                side,
                str(request.order_type),
                request.quantity,
                request.price,
                request.reduce_only,
                status,
                time_ms,
                reason,
            )
        )
        self.dirty_bots.add(bot_id)
        level = _INFO if status in _ROUTINE else _WARNING
        listener = self._listener
        if listener is not None and level >= self._listen_level:
            price = "market" if request.price is None else f"{request.price:g}"
            why = f" ({reason})" if reason else ""
            listener(
                bot_id,
                level,
                f"order {status}: {side} {request.quantity:g} {request.symbol} @ "
                f"{price} [{request.client_order_id}]{why}",
            )

    def fill(self, bot_id: str, fill: Fill) -> None:
        """Record a fill and the fee it cost."""
        self.fills.append(FillRecord(bot_id, fill))
        if fill.fee:
            self.ledger.append(LedgerEntry(bot_id, "fee", -fill.fee, fill.time))
        self.dirty_bots.add(bot_id)
        listener = self._listener
        if listener is not None and self._listen_level <= _INFO:
            listener(
                bot_id,
                _INFO,
                f"fill: {fill.side} {fill.quantity:g} {fill.symbol} @ {fill.price:g} "
                f"fee {fill.fee:.6g} [{fill.client_order_id}]",
            )

    def alert(self, level: str, source: str, code: str, message: str, time_ms: int) -> None:
        """Record an alert raised during the step, unless the alert center suppresses it."""
        if self._admit is not None and not self._admit(level, source, code, message, time_ms):
            return
        self.alerts.append(AlertRecord(level, source, code, message, time_ms))
        self.alert_count += 1
        if self._listener is not None:
            logged = _LEVELS.get(level, logging.INFO)
            if logged >= self._listen_level:
                self._listener(source, logged, f"alert {code}: {message}")

    def correction(self, correction: Correction) -> None:
        """Record what reconciliation changed, with a warning alert."""
        self.corrections.append(correction)
        self.alert(
            "warning",
            correction.bot_id,
            "sync_mismatch",
            f"{correction.what}: {correction.before} -> {correction.after}",
            correction.time_ms,
        )
        self.dirty_bots.add(correction.bot_id)

    def touch(self, bot_id: str) -> None:
        """The bot's documents changed without an order or fill (a decision, an error)."""
        self.dirty_bots.add(bot_id)

    def drain(self) -> StepRecords:
        """Everything recorded since the last drain."""
        out = StepRecords(
            self.orders, self.fills, self.ledger, self.alerts, self.corrections, self.dirty_bots
        )
        self.orders, self.fills, self.ledger, self.alerts = [], [], [], []
        self.corrections, self.dirty_bots = [], set()
        return out


@dataclass(frozen=True, slots=True)
class StepRecords:
    """One step's records, as `drain` hands them over."""

    orders: list[OrderEvent]
    fills: list[FillRecord]
    ledger: list[LedgerEntry]
    alerts: list[AlertRecord]
    corrections: list[Correction]
    dirty_bots: set[str]
