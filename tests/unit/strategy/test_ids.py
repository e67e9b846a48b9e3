"""Client order ids: short, distinct, parseable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.strategy import OrderRole, make_id, parse_id
from portfolio_launcher.strategy.ids import bot_prefix

BOT_IDS = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    bot=BOT_IDS,
    cycle=st.integers(0, 10**8),
    role=st.sampled_from(list(OrderRole)),
    index=st.integers(0, 1000),
    serial=st.integers(0, 10**9),
)
def test_ids_fit_36_chars_and_parse_back(
    bot: str, cycle: int, role: OrderRole, index: int, serial: int
) -> None:
    cid = make_id(bot, cycle, role, index, serial)
    assert len(cid) <= 36
    parsed = parse_id(cid, bot)
    assert parsed is not None
    assert (parsed.cycle, parsed.role, parsed.index, parsed.serial) == (cycle, role, index, serial)


def test_long_bot_ids_are_shortened_deterministically() -> None:
    long_a = "a" * 32
    long_b = "a" * 31 + "b"
    assert bot_prefix(long_a) == bot_prefix(long_a) and len(bot_prefix(long_a)) == 12
    assert bot_prefix(long_a) != bot_prefix(long_b)
    assert bot_prefix("aave_bot") == "aave_bot"
    assert make_id("aave_bot", 3, OrderRole.TAKE_PROFIT, 2, 40) == "aave_bot-3-T2-14"


def test_foreign_ids_do_not_parse() -> None:
    assert parse_id("someone-else-1", "aave_bot") is None
    assert parse_id("aave_bot-3-X2-14", "aave_bot") is None
    assert parse_id(make_id("other", 1, OrderRole.BASE, 0, 1), "aave_bot") is None
