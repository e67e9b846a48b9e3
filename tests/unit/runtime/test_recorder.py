"""The step recorder's order events: plain-string fields and the log line a listener receives."""

from __future__ import annotations

import logging

from portfolio_launcher.core.orders import Fill, Liquidity, OrderRequest, OrderType, Side
from portfolio_launcher.runtime.recorder import StepRecorder
from portfolio_launcher.store.protocol import FillRecord, LedgerEntry, OrderEvent


def test_an_order_event_holds_plain_strings_and_is_logged() -> None:
    lines: list[tuple[str, int, str]] = []
    recorder = StepRecorder(lambda *line: lines.append(line))
    buy = OrderRequest("b1-1-L1-5", "XUSDT", Side.BUY, OrderType.LIMIT, 0.5, 99.5)
    sell = OrderRequest("b1-1-T1-6", "XUSDT", Side.SELL, OrderType.MARKET, 0.25, None, True)
    recorder.order("b1", buy, "placed", 1000)
    recorder.order("b1", sell, "risk_rejected", 2000, "halted")
    first, second = recorder.orders
    assert first == OrderEvent(
        "b1", "b1-1-L1-5", "XUSDT", "buy", "limit", 0.5, 99.5, False, "placed", 1000
    )
    assert type(first.side) is str and type(first.order_type) is str
    assert (second.side, second.order_type, second.reason) == ("sell", "market", "halted")
    assert lines == [
        ("b1", logging.INFO, "order placed: buy 0.5 XUSDT @ 99.5 [b1-1-L1-5]"),
        (
            "b1",
            logging.WARNING,
            "order risk_rejected: sell 0.25 XUSDT @ market [b1-1-T1-6] (halted)",
        ),
    ]
    assert recorder.dirty_bots == {"b1"}


def test_a_fill_is_recorded_with_its_fee_and_logged() -> None:
    lines: list[tuple[str, int, str]] = []
    recorder = StepRecorder(lambda *line: lines.append(line))
    fill = Fill("b1-1-B0-1", "o1", "XUSDT", Side.BUY, 100.0, 0.5, 0.03, Liquidity.TAKER, 7)
    recorder.fill("b1", fill)
    assert recorder.fills == [FillRecord("b1", fill)]
    assert recorder.ledger == [LedgerEntry("b1", "fee", -0.03, 7)]
    assert lines == [("b1", logging.INFO, "fill: buy 0.5 XUSDT @ 100 fee 0.03 [b1-1-B0-1]")]


def test_events_below_the_listen_level_are_recorded_but_not_logged() -> None:
    lines: list[tuple[str, int, str]] = []
    recorder = StepRecorder(lambda *line: lines.append(line), listen_level=logging.WARNING)
    buy = OrderRequest("b1-1-L1-5", "XUSDT", Side.BUY, OrderType.LIMIT, 0.5, 99.5)
    fill = Fill("b1-1-L1-5", "o1", "XUSDT", Side.BUY, 99.5, 0.5, 0.03, Liquidity.MAKER, 7)
    recorder.order("b1", buy, "placed", 1000)
    recorder.fill("b1", fill)
    recorder.order("b1", buy, "rejected", 2000, "no margin")
    recorder.alert("info", "b1", "note", "routine", 3000)
    recorder.alert("warning", "b1", "odd", "look", 3000)
    assert [e.status for e in recorder.orders] == ["placed", "rejected"]
    assert len(recorder.fills) == 1 and len(recorder.alerts) == 2
    assert lines == [
        ("b1", logging.WARNING, "order rejected: buy 0.5 XUSDT @ 99.5 [b1-1-L1-5] (no margin)"),
        ("b1", logging.WARNING, "alert odd: look"),
    ]
