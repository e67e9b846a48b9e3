"""AlertCenter: cooldown de-duplication, escalation, resolve, active(), restore, sink isolation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.monitoring.alerts import Alert, AlertCenter, Level
from portfolio_launcher.store.protocol import AlertRecord

COOLDOWN = 60_000


class Collect:
    """A sink that keeps what it receives."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def __call__(self, alert: Alert, /) -> None:
        self.alerts.append(alert)


class Broken:
    """A sink that always raises."""

    def __call__(self, alert: Alert, /) -> None:
        raise RuntimeError("sink down")


def center(*sinks: Collect | Broken) -> AlertCenter:
    return AlertCenter(COOLDOWN, list(sinks))


def test_levels_order_by_severity_not_alphabet() -> None:
    assert Level.INFO < Level.WARNING < Level.CRITICAL
    assert Level.CRITICAL > "warning"
    assert Level.WARNING >= "warning"
    assert not Level.CRITICAL <= Level.INFO
    assert sorted([Level.CRITICAL, Level.INFO, Level.WARNING]) == [
        Level.INFO,
        Level.WARNING,
        Level.CRITICAL,
    ]
    with pytest.raises(ValueError):
        _ = Level.INFO < "loud"


def test_same_code_and_source_is_suppressed_within_cooldown() -> None:
    sink = Collect()
    c = center(sink)
    first = c.raise_alert("warning", "aave_bot", "bot_error", "boom", 1_000)
    assert first == Alert(Level.WARNING, "aave_bot", "bot_error", "boom", 1_000)
    assert (
        c.raise_alert(Level.WARNING, "aave_bot", "bot_error", "boom again", 1_000 + 59_999) is None
    )
    assert c.suppressed == 1
    assert sink.alerts == [first]
    assert c.counts() == {Level.INFO: 0, Level.WARNING: 1, Level.CRITICAL: 0}


def test_other_source_or_code_is_not_suppressed() -> None:
    sink = Collect()
    c = center(sink)
    c.raise_alert("warning", "aave_bot", "bot_error", "x", 0)
    assert c.raise_alert("warning", "hype_bot", "bot_error", "x", 10) is not None
    assert c.raise_alert("warning", "aave_bot", "risk_rejected", "x", 20) is not None
    assert [a.key for a in sink.alerts] == [
        ("bot_error", "aave_bot"),
        ("bot_error", "hype_bot"),
        ("risk_rejected", "aave_bot"),
    ]
    assert c.suppressed == 0


def test_fires_again_once_the_cooldown_has_passed() -> None:
    c = center()
    assert c.raise_alert("warning", "b", "unresponsive", "m", 0) is not None
    assert c.raise_alert("warning", "b", "unresponsive", "m", COOLDOWN - 1) is None
    assert c.raise_alert("warning", "b", "unresponsive", "m", COOLDOWN) is not None
    # The cooldown restarts from the last EMITTED alert, not from the suppressed one.
    assert c.raise_alert("warning", "b", "unresponsive", "m", 2 * COOLDOWN - 1) is None
    assert c.raise_alert("warning", "b", "unresponsive", "m", 2 * COOLDOWN) is not None


def test_escalation_passes_the_cooldown_and_then_holds_lower_levels() -> None:
    sink = Collect()
    c = center(sink)
    c.raise_alert("info", "portfolio", "drawdown_warning", "dd 10%", 0)
    assert c.raise_alert("warning", "portfolio", "drawdown_warning", "dd 15%", 5) is not None
    assert c.raise_alert("critical", "portfolio", "drawdown_warning", "dd 25%", 10) is not None
    assert c.raise_alert("warning", "portfolio", "drawdown_warning", "dd 16%", 20) is None
    assert c.raise_alert("critical", "portfolio", "drawdown_warning", "dd 26%", 30) is None
    assert [a.level for a in sink.alerts] == [Level.INFO, Level.WARNING, Level.CRITICAL]


def test_resolve_rearms_at_once_and_leaves_active() -> None:
    c = center()
    c.raise_alert("warning", "portfolio", "drawdown_warning", "dd", 0)
    assert [a.code for a in c.active(now_ms=10, window_ms=COOLDOWN)] == ["drawdown_warning"]
    assert c.resolve("drawdown_warning", "portfolio") is True
    assert c.resolve("drawdown_warning", "portfolio") is False
    assert c.active(now_ms=10, window_ms=COOLDOWN) == []
    assert c.raise_alert("warning", "portfolio", "drawdown_warning", "dd again", 11) is not None


def test_active_window_ordering_and_one_per_key() -> None:
    c = center()
    c.raise_alert("warning", "a", "bot_error", "old", 1_000)
    c.raise_alert("info", "portfolio", "rebalance", "info is never active", 5_000)
    c.raise_alert("critical", "portfolio", "emergency_stop", "halt", 6_000)
    c.raise_alert("warning", "b", "unresponsive", "late", 7_000)
    c.raise_alert("critical", "a", "bot_error", "escalated", 8_000)
    active = c.active(now_ms=9_000, window_ms=5_000)
    assert [(a.source, a.code, a.message) for a in active] == [
        ("a", "bot_error", "escalated"),
        ("b", "unresponsive", "late"),
        ("portfolio", "emergency_stop", "halt"),
    ]
    # The window is inclusive at its edge and excludes anything older.
    assert [a.code for a in c.active(now_ms=11_000, window_ms=4_000)] == [
        "bot_error",
        "unresponsive",
    ]
    assert c.active(now_ms=20_000, window_ms=4_000) == []


def test_restore_keeps_cooldowns_and_active_alerts() -> None:
    records = [
        AlertRecord("warning", "aave_bot", "bot_error", "before restart", 100_000),
        AlertRecord("critical", "portfolio", "no_bots_running", "none", 110_000),
        AlertRecord("warning", "aave_bot", "bot_error", "older duplicate", 90_000),
    ]
    sink = Collect()
    c = center(sink)
    c.restore(records)
    assert sink.alerts == []
    assert c.counts()[Level.WARNING] == 0
    assert (
        c.raise_alert("warning", "aave_bot", "bot_error", "again", 100_000 + COOLDOWN - 1) is None
    )
    assert (
        c.raise_alert("warning", "aave_bot", "bot_error", "again", 100_000 + COOLDOWN) is not None
    )
    assert c.raise_alert("critical", "portfolio", "no_bots_running", "x", 120_000) is None
    assert [a.code for a in c.active(now_ms=120_000, window_ms=60_000)] == ["no_bots_running"]


def test_restore_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError):
        center().restore([AlertRecord("loud", "a", "c", "m", 0)])


def test_record_round_trip() -> None:
    alert = Alert(Level.CRITICAL, "portfolio", "emergency_stop", "dd 30%", 42)
    assert alert.to_record() == AlertRecord("critical", "portfolio", "emergency_stop", "dd 30%", 42)
    assert Alert.from_record(alert.to_record()) == alert


def test_a_raising_sink_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    before, after = Collect(), Collect()
    c = center(before, Broken(), after)
    alert = c.raise_alert("critical", "portfolio", "emergency_stop", "halt", 0)
    assert alert is not None
    assert before.alerts == [alert] and after.alerts == [alert]
    assert c.sink_failures == 1
    assert "Broken" in caplog.text and "RuntimeError" in caplog.text


def test_add_sink_receives_later_alerts() -> None:
    c = center()
    c.raise_alert("info", "a", "bot_restarted", "m", 0)
    late = Collect()
    c.add_sink(late)
    c.raise_alert("info", "b", "bot_restarted", "m", 1)
    assert [a.source for a in late.alerts] == ["b"]


def test_negative_cooldown_is_refused() -> None:
    with pytest.raises(ValueError):
        AlertCenter(-1)


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(list(Level)),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["bot_error", "unresponsive"]),
            st.integers(min_value=0, max_value=5_000),
        ),
        max_size=40,
    ),
    cooldown=st.integers(min_value=0, max_value=3_000),
)
def test_emitted_alerts_respect_the_cooldown(
    events: list[tuple[Level, str, str, int]], cooldown: int
) -> None:
    """Between two emitted alerts of one key, less than the cooldown apart, the level rises."""
    sink = Collect()
    c = AlertCenter(cooldown, [sink])
    clock = 0
    for level, source, code, step in events:
        clock += step
        c.raise_alert(level, source, code, "m", clock)
    assert len(sink.alerts) + c.suppressed == len(events)
    last: dict[tuple[str, str], Alert] = {}
    for alert in sink.alerts:
        previous = last.get(alert.key)
        if previous is not None and alert.time_ms - previous.time_ms < cooldown:
            assert alert.level > previous.level
        last[alert.key] = alert
