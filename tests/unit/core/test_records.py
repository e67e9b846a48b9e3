"""`evolve` makes what `dataclasses.replace` makes, and refuses what it cannot copy that way."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_launcher.core.orders import OrderType, Side
from portfolio_launcher.core.records import builder, evolve, quick_init
from portfolio_launcher.strategy.state import BotState, MarketView, OrderRecord, OrderRole


@given(
    quantity=st.floats(allow_nan=False),
    fees=st.floats(allow_nan=False),
    cycle=st.integers(),
    view_close=st.floats(allow_nan=False),
)
def test_evolve_equals_replace(quantity: float, fees: float, cycle: int, view_close: float) -> None:
    order = OrderRecord("x", OrderRole.LADDER, 1, 2, Side.BUY, OrderType.LIMIT, 2.0, 9.5)
    state = BotState("b1", quantity=1.5, orders=(order,))
    view = MarketView(close=view_close)
    got = evolve(state, quantity=quantity, fees=fees, cycle=cycle, view=view)
    want = dataclasses.replace(state, quantity=quantity, fees=fees, cycle=cycle, view=view)
    assert got == want
    assert type(got) is BotState
    assert got.orders is state.orders  # unchanged fields are the same objects
    assert state.quantity == 1.5  # the original is untouched


def test_no_changes_is_an_equal_copy() -> None:
    state = BotState("b2", level=3)
    copy = evolve(state)
    assert copy == state and copy is not state


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field nonsense"):
        evolve(BotState("b3"), nonsense=1)


def test_records_it_cannot_copy_by_slots_are_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            assert self.value >= 0

    @dataclass(frozen=True)
    class NoSlots:
        value: int

    @dataclass(frozen=True, slots=True)
    class Derived:
        value: int
        double: int = dataclasses.field(init=False, default=0)

    with pytest.raises(TypeError, match="__post_init__"):
        evolve(Checked(1), value=2)
    with pytest.raises(TypeError, match="frozen, slotted"):
        evolve(NoSlots(1), value=2)
    with pytest.raises(TypeError, match="init field"):
        evolve(Derived(1), value=2)


@quick_init
@dataclass(frozen=True, slots=True)
class _Quick:
    name: str
    count: int = 2
    price: float | None = None


@dataclass(frozen=True, slots=True)
class _Plain:
    name: str
    count: int = 2
    price: float | None = None


def test_quick_init_builds_what_the_dataclass_init_builds() -> None:
    for args, kwargs in [(("a",), {}), (("a", 3), {"price": 1.5}), ((), {"name": "b", "count": 0})]:
        quick, plain = _Quick(*args, **kwargs), _Plain(*args, **kwargs)  # type: ignore[arg-type]
        assert (quick.name, quick.count, quick.price) == (plain.name, plain.count, plain.price)
    assert _Quick("a") == _Quick("a", 2, None) and hash(_Quick("a")) == hash(_Quick("a"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        _Quick("a").count = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Quick("a", nonsense=1)  # type: ignore[call-arg]


def test_quick_init_refuses_default_factories() -> None:
    @dataclass(frozen=True, slots=True)
    class Listed:
        items: tuple[int, ...] = dataclasses.field(default_factory=tuple)

    with pytest.raises(TypeError, match=r"Listed\.items"):
        quick_init(Listed)


@given(st.text(max_size=5), st.integers(), st.one_of(st.none(), st.floats(allow_nan=False)))
def test_a_builder_makes_what_the_constructor_makes(
    name: str, count: int, price: float | None
) -> None:
    build = builder(_Plain)
    made, plain = build(name, count, price), _Plain(name, count, price)
    assert type(made) is _Plain
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.count = 3  # type: ignore[misc]


def test_a_builder_takes_only_what_evolve_takes() -> None:
    @dataclass(slots=True)
    class Mutable:
        name: str

    @dataclass(frozen=True)
    class Unslotted:
        name: str

    for cls in (Mutable, Unslotted):
        with pytest.raises(TypeError, match="frozen, slotted"):
            builder(cls)
