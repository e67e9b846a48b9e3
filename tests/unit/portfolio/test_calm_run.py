"""The guard's compiled stretch screen (`calm_run`) stops at the first step where the per-step
checks would speak: a ledger mismatch, a drawdown level other than its episode's (or a stop), a
bot's loss level other than its episode's (or a stop). The reference is the step-by-step form
with the scalar level functions; NaN figures (never calm in the screen) are checked apart."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.portfolio.drawdown import (
    BotLossLimits,
    DrawdownLimits,
    DrawdownState,
    bot_loss_state,
    calm_run,
    drawdown_state,
    peak_after,
)

TOLERANCE = 1e-9
NONE = float("nan")


def reference(
    total: float,
    peak: float,
    pnl_sum: np.ndarray,
    account: np.ndarray | None,
    dd: DrawdownLimits,
    episode: bool,
    pnl: np.ndarray,
    rows: list[int],
    allocated: list[float],
    episodes: list[bool],
    loss: BotLossLimits,
) -> int:
    """What `PortfolioGuard.after_step` would find, step by step (finite figures)."""
    for j in range(pnl_sum.shape[0]):
        equity = total + float(pnl_sum[j])
        peak = max(peak, equity)
        if account is not None:
            error = abs(float(account[j]) - equity)
            if error > TOLERANCE * max(1.0, abs(equity)):
                return j
        state = drawdown_state(equity, peak, dd)
        if state is DrawdownState.STOP or (state is DrawdownState.WARNING) != episode:
            return j
        for row, stake, open_episode in zip(rows, allocated, episodes, strict=True):
            level = bot_loss_state(stake + float(pnl[row, j]), stake, loss)
            if level is DrawdownState.STOP or (level is not DrawdownState.NONE) != open_episode:
                return j
    return int(pnl_sum.shape[0])


def _run(
    total: float,
    peak: float,
    pnl_sum: np.ndarray,
    account: np.ndarray | None,
    dd: DrawdownLimits,
    episode: bool,
    pnl: np.ndarray,
    rows: list[int],
    allocated: list[float],
    episodes: list[bool],
    loss: BotLossLimits,
) -> int:
    return int(
        calm_run(
            total,
            peak,
            pnl_sum,
            np.empty(0) if account is None else account,
            TOLERANCE,
            dd.warning,
            NONE if dd.stop_at is None else dd.stop_at,
            episode,
            pnl,
            np.array(rows, dtype=np.int64),
            np.array(allocated, dtype=np.float64),
            np.array(episodes, dtype=np.bool_),
            loss.warning,
            NONE if loss.stop_at is None else loss.stop_at,
        )
    )


@settings(max_examples=300, deadline=None)
@given(
    bots=st.integers(1, 5),
    steps=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    with_account=st.booleans(),
    dd_stop=st.booleans(),
    loss_stop=st.booleans(),
    episode=st.booleans(),
)
def test_the_screen_stops_where_the_step_checks_speak(
    bots: int,
    steps: int,
    seed: int,
    with_account: bool,
    dd_stop: bool,
    loss_stop: bool,
    episode: bool,
) -> None:
    rng = np.random.default_rng(seed)
    total = 1000.0
    stakes = rng.uniform(0.0, 300.0, bots)
    stakes[rng.random(bots) < 0.2] = 0.0  # unwatched bots are left out by the caller
    pnl = np.cumsum(rng.normal(0.0, 8.0, (bots, steps)), axis=1) - rng.uniform(0, 40, (bots, 1))
    pnl_sum = np.zeros(steps)
    for row in pnl:
        pnl_sum += row
    account = None
    if with_account:
        account = total + pnl_sum
        account[rng.random(steps) < 0.1] += 1e-3  # a mismatch now and then
    peak = total + float(rng.uniform(0.0, 150.0))
    dd = DrawdownLimits(0.05, 0.15 if dd_stop else None)
    loss = BotLossLimits(0.05, 0.2 if loss_stop else None)
    rows = [i for i in range(bots) if stakes[i] > 0]
    allocated = [float(stakes[i]) for i in rows]
    # Mostly the episodes the first step's levels open (else most runs end at once).
    first = total + float(pnl_sum[0])
    if rng.random() < 0.8:
        episode = drawdown_state(first, max(peak, first), dd) is not DrawdownState.NONE
    episodes = [
        bot_loss_state(a + float(pnl[i, 0]), a, loss) is not DrawdownState.NONE
        if rng.random() < 0.9
        else bool(rng.random() < 0.5)
        for i, a in zip(rows, allocated, strict=True)
    ]
    args = (total, peak, pnl_sum, account, dd, episode, pnl, rows, allocated, episodes, loss)
    assert _run(*args) == reference(*args)


def test_nan_figures() -> None:
    """An account NaN ends the stretch there (the ordinary path decides); a NaN equity has
    no drawdown level (its peak is NaN, and a NaN peak is not positive), and a NaN equity
    with an account view is a mismatch."""
    pnl = np.zeros((1, 4))
    pnl_sum = np.zeros(4)
    dd = DrawdownLimits(0.05, None)
    loss = BotLossLimits(0.05, None)
    account = np.full(4, 1000.0)
    account[2] = math.nan
    assert _run(1000.0, 1000.0, pnl_sum, account, dd, False, pnl, [0], [100.0], [False], loss) == 2
    pnl_sum[1] = math.nan
    assert _run(1000.0, 1000.0, pnl_sum, None, dd, False, pnl, [], [], [], loss) == 4
    account[:] = 1000.0
    assert _run(1000.0, 1000.0, pnl_sum, account, dd, False, pnl, [], [], [], loss) == 1


@settings(max_examples=200, deadline=None)
@given(
    peak=st.floats(-1e6, 1e6) | st.just(math.nan),
    total=st.floats(0.0, 1e6),
    pnl=st.lists(st.floats(-1e6, 1e6) | st.just(math.nan), min_size=1, max_size=12),
    extra=st.integers(0, 3),
)
def test_peak_after_is_the_array_form_of_the_guards_absorb(
    peak: float, total: float, pnl: list[float], extra: int
) -> None:
    """`peak_after` is `max(peak, float((total + pnl_sum[:steps]).max()))`, NaN included (the
    stretch's later steps, past `steps`, are not read)."""
    pnl_sum = np.array(pnl + [1e9] * extra)
    steps = len(pnl)
    expected = max(peak, float((total + pnl_sum[:steps]).max()))
    found = peak_after(peak, total, pnl_sum, steps)
    assert found == expected or (math.isnan(found) and math.isnan(expected))
