"""Properties over random histories of fills, rebalances and profit sharing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_launcher.portfolio.allocation import WeightParams, clamp_normalize
from portfolio_launcher.portfolio.ledger import PortfolioLedger
from portfolio_launcher.portfolio.rebalance import ProfitSharingSpec, plan_rebalance

money = st.floats(-300.0, 300.0, allow_nan=False)
fill = st.tuples(
    st.just("fill"), st.integers(0, 3), money, money, st.floats(0.0, 2000.0, allow_nan=False)
)
rebalance = st.tuples(
    st.just("rebalance"),
    st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=4, max_size=4),
    st.floats(0.0, 1.0),
    st.sampled_from(
        [
            ProfitSharingSpec(enabled=False),
            ProfitSharingSpec(enabled=True, method="equal_weight"),
            ProfitSharingSpec(enabled=True, method="performance_based"),
        ]
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 4),
    c0=st.floats(100.0, 1e6),
    events=st.lists(st.one_of(fill, rebalance), min_size=1, max_size=25),
)
def test_invariant_and_non_negative_stakes(
    n: int, c0: float, events: list[tuple[object, ...]]
) -> None:
    ids = [f"bot{i}" for i in range(n)]
    ledger = PortfolioLedger.start(c0, dict.fromkeys(ids, c0 / n))
    since = dict.fromkeys(ids, 0.0)  # realized since the last rebalance (+ carried unshared)
    balance: dict[str, float] = {}
    scale = c0 / 1000.0
    for ev in events:
        if ev[0] == "fill":
            _, k, d_real, unreal, margin = ev
            assert isinstance(k, int)
            bot = ledger.bots[k % n]
            d = float(d_real) * scale  # type: ignore[arg-type]
            changed = replace(
                bot,
                realized=bot.realized + d,
                unrealized=float(unreal) * scale,  # type: ignore[arg-type]
                margin_used=float(margin) * scale,  # type: ignore[arg-type]
            )
            ledger = ledger.with_bots(changed if b.bot_id == bot.bot_id else b for b in ledger.bots)
            since[bot.bot_id] += d
        else:
            _, raw, total, spec = ev
            raw_w = np.array(raw[:n]) + 1e-3  # type: ignore[index]
            w = raw_w / raw_w.sum() * float(total)  # type: ignore[arg-type]
            weights = dict(zip(ids, w.tolist(), strict=True))
            assert isinstance(spec, ProfitSharingSpec)
            plan = plan_rebalance(
                ledger,
                weights,
                profit_sharing=spec,
                realized_since_last=since,
                sharing_balance=balance,
            )
            after = plan.apply(ledger)
            # Portfolio equity is unchanged by a rebalance; the pool is handed out in full.
            assert abs(after.equity - ledger.equity) <= 1e-9 * max(c0, abs(ledger.equity))
            assert abs(sum(plan.pooled.values()) - sum(plan.shared.values())) <= 1e-9 * c0
            assert abs(sum(plan.sharing_balance.values())) <= 1e-9 * c0
            for b in ledger.bots:
                # no bot gave more than its free capital: no position is shrunk
                assert b.allocated - plan.after[b.bot_id] <= b.free + 1e-9 * c0
                assert plan.pooled[b.bot_id] >= 0.0 and plan.shared[b.bot_id] >= 0.0
            ledger, balance = after, plan.sharing_balance
            since = dict(plan.unshared)
        assert ledger.invariant_holds(1e-9)
        assert all(b.allocated >= 0.0 for b in ledger.bots)
        assert ledger.unallocated >= 0.0


@settings(max_examples=200, deadline=None)
@given(
    raw=st.lists(st.floats(1e-6, 1e6), min_size=1, max_size=12),
    lo=st.floats(0.0, 1.0),
    hi=st.floats(0.01, 1.0),
)
def test_clamped_weights_within_bounds(raw: list[float], lo: float, hi: float) -> None:
    lo, hi = min(lo, hi), max(lo, hi)
    w = np.array(clamp_normalize(np.array(raw), WeightParams(min_weight=lo, max_weight=hi)))
    n = len(raw)
    assert w.sum() <= 1.0 + 1e-9
    if n * hi <= 1.0:
        assert np.allclose(w, hi)
    elif n * lo >= 1.0:
        assert np.allclose(w, 1.0 / n)
    else:
        assert abs(w.sum() - 1.0) <= 1e-9
        assert np.all(w >= lo - 1e-12) and np.all(w <= hi + 1e-12)
        # order is kept: a larger raw proportion never gets a smaller weight
        order = np.argsort(raw, kind="stable")
        assert np.all(np.diff(w[order]) >= -1e-12)
