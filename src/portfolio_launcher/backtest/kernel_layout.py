"""Index constants of the fast kernel's flat state arrays, and the codes it reports.

The numba kernel keeps its whole state in two arrays instead of objects (no allocation in the
loop, cacheable compilation): `F` (float64) and `Z` (int64), each a stack of tables. A table's
fields are rows and its entries columns: `F[T_PRICE, i]` is take-profit level i's price, and the
one-row tables hold scalars in columns (`F[R_S, S_WALLET]`). These names say what each slot
holds. Two arrays, not one per table: numba handles every array as a descriptor of about ten
machine words, and a dozen of them live in one loop (or passed to a call) cost more than most
of the work. Codes that leave the kernel (roles, sides, errors) are part of the `sweep` API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

# ---- how the kernel's functions are compiled --------------------------------------------------
_Fn = TypeVar("_Fn", bound=Callable[..., Any])
# `forceinline`: LLVM inlines every part into the one loop function (`kernel._run`), so no call
# passes arrays (numba passes each one as about ten machine words, more than most parts' work)
# and the state arrays' fields stay in registers. `_nrt=False` (numba's option for its runtime,
# which numba's own unicode and sorting kernels set too): no reference counting either, which
# numba otherwise does around the arrays at every step, as calls to an atomic increment and
# decrement. Such a function may not create or return an array; numba refuses to compile one
# that does. Only `kernel.run_arrays` and `kernel.new_state`, which allocate the state, use the
# runtime. The benchmark's year of candles, all caches cleared: 0.79 ms with calls between the
# parts, 0.50 ms inlined with reference counts, 0.27 ms inlined without.
_PART: dict[str, Any] = {"cache": True, "forceinline": True, "_nrt": False}
_LOOP: dict[str, Any] = {"cache": True, "_nrt": False}


def kernel_part(fn: _Fn) -> _Fn:
    """Compile `fn` as a part of the kernel loop: inlined into its caller, no refcounts."""
    return cast(_Fn, njit(**_PART)(fn))


def kernel_loop(fn: _Fn) -> _Fn:
    """Compile `fn` as the kernel loop itself: a real function, no refcounts."""
    return cast(_Fn, njit(**_LOOP)(fn))


# ---- order roles (as in `strategy.state.OrderRole`) and sides --------------------------------
ROLE_BASE = 0
ROLE_DCA = 1
ROLE_LADDER = 2
ROLE_TP = 3
ROLE_TP_MARKET = 4
ROLE_STOP_LOSS = 5
ROLE_NAMES = ("base", "dca", "ladder", "take_profit", "take_profit_market", "stop_loss")
BUY = 1
SELL = -1

# ---- error codes (0 = completed) -------------------------------------------------------------
ERR_NONE = 0
ERR_LIQUIDATION = 1
"""The position's liquidation price was reached: the kernel does not model liquidations."""
ERR_LEVELS = 2
"""A signal-mode bot went deeper than the precomputed threshold table."""
ERR_FILLS = 3
"""The fill buffer is full (the wrapper retries with a larger one)."""
ERR_CAPACITY = 4
"""More simultaneous orders or queued fills than the kernel's fixed buffers hold."""
ERROR_TEXT = (
    "",
    "the position reached its liquidation price (the kernel does not model liquidations)",
    "the bot went deeper than the kernel's precomputed spacing table",
    "the fill buffer is full",
    "more simultaneous orders or queued fills than the kernel's buffers hold",
)

# ---- the one-row tables: parameters and scalar state -----------------------------------------
R_P = 0  # F row: float parameters (P_*)
R_S = 1  # F row: float state (S_*)
R_G = 0  # Z row: int state (G_*)
R_C = 1  # Z row: int parameters (C_*)

# ---- P: float parameters (columns of F's row R_P) --------------------------------------------
P_BASE_AMOUNT = 0
P_LEVERAGE = 1
P_TP_PERCENT = 2
P_TP_QUANTITY = 3
P_STOP_LOSS = 4  # NaN: off
P_MIN_ORDER_QTY = 5
P_TICK = 6
P_TICK_M = 7
P_TICK_DIV = 8
P_STEP = 9
P_STEP_M = 10
P_STEP_DIV = 11
P_MIN_QTY = 12
P_MIN_NOTIONAL = 13
P_MMR = 14
P_MAKER = 15
P_TAKER = 16
P_SLIPPAGE_BPS = 17
P_BUDGET = 18
P_BALANCE = 19
P_MIN_THRESHOLD = 20
NP = 21

# ---- C: int parameters (columns of Z's row R_C) ----------------------------------------------
C_LADDER = 0  # 1: ladder safety orders, 0: signal
C_MAX_LEVELS = 1  # -1: unlimited
C_TP_LEVELS = 2  # effective number of TP levels (1 without use_tp_levels)
C_AUTO_TP = 3
C_CYCLE = 4
C_DYNAMIC_TP = 5  # 1: the per-candle TP percent series replaces tp_percent
C_THR_PER_CANDLE = 6  # 1: threshold table has one row per candle (volatility-adaptive)
C_LEVELS_TABLE = 7  # K: threshold/pow tables hold levels 1..K
C_START = 8
C_EQUITY = 9  # 1: record per-bar equity
NC = 10

# ---- S: float state (columns of F's row R_S) -------------------------------------------------
S_Q = 0  # strategy: position quantity
S_AVG = 1
S_LAST = 2  # last entry fill price
S_REALIZED = 3
S_FEES = 4
S_WALLET = 5  # paper account
S_SIZE = 6
S_ENTRY = 7
S_MARGIN = 8
S_RESERVED = 9
S_PAPER_REALIZED = 10
S_PAPER_FEES = 11
S_PRICE = 12  # the paper market's last price (the path cursor during a walk)
NS = 13

# ---- G: int state (columns of Z's row R_G) ---------------------------------------------------
G_ACTIVE = 0
G_CYCLE = 1
G_LEVEL = 2
G_TP_REV = 3
G_SEQ = 4  # one counter for strategy records and paper orders (both follow placement order)
G_NLADDER = 5  # planned ladder levels (0: no ladder planned)
G_VIEW = 6  # candle index of the last decision (its view: TP percent, volatility, factor)
G_NFILLS = 7
G_ERROR = 8
G_QHEAD = 9
G_QTAIL = 10
G_NX = 11  # intents in the batch being built
G_TIME = 12  # open time of the candle being processed
G_CYCLES = 13
G_END = 14  # index of the last processed candle
G_NBUY = 15  # resting buys (L_BUY's length)
G_NSELL = 16  # resting sells (L_SELL's length)
G_NFREE = 17  # free book columns (L_FREE's length)
G_NREC = 18  # open buy records (L_REC's length)
G_NM = 19  # live market records in M
NG = 20

# ---- T: take-profit plan and records (F rows), one column per level index 1..L ---------------
_T = 2  # F's first row after R_P and R_S
T_PRICE = _T + 0
T_QTY = _T + 1
T_FILLED = _T + 2
T_IN_PLAN = _T + 3
T_REC = _T + 4  # the strategy records an order for this index
T_REC_SEQ = _T + 5
T_REC_REV = _T + 6
T_REC_CYCLE = _T + 7
T_REC_QTY = _T + 8
T_REC_FILLED = _T + 9
NT = 10

# ---- D: ladder plan and records (F rows), one column per level 1..K --------------------------
_D = _T + NT
D_PRICE = _D + 0
D_QTY = _D + 1
D_REC = _D + 2
D_REC_SEQ = _D + 3
D_REC_CYCLE = _D + 4
D_REC_PRICE = _D + 5
D_REC_QTY = _D + 6
ND = 7

# ---- M: market orders recorded, not yet filled back (F rows; in flight inside a batch) -------
_M = _D + ND
M_LIVE = _M + 0
M_SEQ = _M + 1
M_ROLE = _M + 2
M_INDEX = _M + 3
M_SIDE = _M + 4
M_QTY = _M + 5
M_REV = _M + 6
M_FILLED = _M + 7
NM = 8
MCAP = 16

# ---- B: the paper exchange's resting orders (F rows) -----------------------------------------
_B = _M + NM
B_LIVE = _B + 0
B_SEQ = _B + 1
B_SIDE = _B + 2
B_PRICE = _B + 3
B_QTY = _B + 4
B_RESERVED = _B + 5
B_REDUCE = _B + 6
B_ROLE = _B + 7
B_INDEX = _B + 8
B_CYCLE = _B + 9
B_REV = _B + 10
NB = 11

# ---- L: the book's and the records' order (Z rows), kept on every change, never searched for ---
_L = 2  # Z's first row after R_G and R_C
L_BUY = _L + 0  # columns of the resting buys in book priority (highest price, then oldest, first)
L_SELL = _L + 1  # columns of the resting sells in book priority (lowest price, then oldest, first)
L_FREE = _L + 2  # a stack of free book columns
L_REC = _L + 3  # open buy records in sequence order: k for ladder level k, -(j + 1) for M slot j
NL = 4
Z_ROWS = _L + NL

# ---- Q: fills executed by the paper exchange, not yet handed to the strategy (F rows, FIFO) ---
_Q = _B + NB
Q_SEQ = _Q + 0
Q_ROLE = _Q + 1
Q_INDEX = _Q + 2
Q_CYCLE = _Q + 3
Q_REV = _Q + 4
Q_SIDE = _Q + 5
Q_PRICE = _Q + 6
Q_QTY = _Q + 7
Q_FEE = _Q + 8
NQ = 9
QCAP = 64

# ---- X: intents of the batch being built (F rows; sent in order after the whole decision) ----
_X = _Q + NQ
X_CANCEL = _X + 0  # 1: cancel the paper order with X_SEQ; 0: place
X_SEQ = _X + 1
X_ROLE = _X + 2
X_INDEX = _X + 3
X_SIDE = _X + 4
X_QTY = _X + 5
X_PRICE = _X + 6  # NaN: market
X_REV = _X + 7
NX = 8
XCAP = 64
F_ROWS = _X + NX

# ---- fill output columns ---------------------------------------------------------------------
F_PRICE = 0
F_QTY = 1
F_FEE = 2
NF = 3
I_TIME = 0
I_SIDE = 1
I_ROLE = 2
I_LEVEL = 3
NI = 4


@kernel_part
def list_drop(Z, row: int, count: int, value: int) -> None:  # type: ignore[no-untyped-def]  # noqa: N803
    """Remove `value` from the ordered list `Z[row, :Z[R_G, count]]`, keeping the order of the
    rest (the book's sides and the buy records are such lists)."""
    n = Z[R_G, count]
    r = 0
    while Z[row, r] != value:
        r += 1
    for x in range(r + 1, n):
        Z[row, x - 1] = Z[row, x]
    Z[R_G, count] = n - 1
