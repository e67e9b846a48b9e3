"""Index constants of the fast kernel's flat state arrays, and the codes it reports.

The numba kernel keeps its state in a few float64/int64 arrays instead of objects (no allocation
in the loop, cacheable compilation); these names say what each slot holds. Codes that leave the
kernel (roles, sides, errors) are part of the `sweep` API.
"""

from __future__ import annotations

# ---- order roles (as in `strategy.state.OrderRole`) and sides -------------------------------
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

# ---- P: float parameters -------------------------------------------------------------------
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

# ---- C: int parameters ---------------------------------------------------------------------
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

# ---- S: float state --------------------------------------------------------------------------
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

# ---- G: int state ----------------------------------------------------------------------------
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
NG = 15

# ---- T: take-profit plan and records, one column per level index 1..L -------------------------
T_PRICE = 0
T_QTY = 1
T_FILLED = 2
T_IN_PLAN = 3
T_REC = 4  # the strategy records an order for this index
T_REC_SEQ = 5
T_REC_REV = 6
T_REC_CYCLE = 7
T_REC_QTY = 8
T_REC_FILLED = 9
NT = 10

# ---- D: ladder plan and records, one column per level 1..K -----------------------------------
D_PRICE = 0
D_QTY = 1
D_REC = 2
D_REC_SEQ = 3
D_REC_CYCLE = 4
D_REC_PRICE = 5
D_REC_QTY = 6
ND = 7

# ---- M: market orders recorded but not yet filled back (in flight inside a batch) -------------
M_LIVE = 0
M_SEQ = 1
M_ROLE = 2
M_INDEX = 3
M_SIDE = 4
M_QTY = 5
M_REV = 6
M_FILLED = 7
NM = 8
MCAP = 16

# ---- B: the paper exchange's resting orders --------------------------------------------------
B_LIVE = 0
B_SEQ = 1
B_SIDE = 2
B_PRICE = 3
B_QTY = 4
B_RESERVED = 5
B_REDUCE = 6
B_ROLE = 7
B_INDEX = 8
B_CYCLE = 9
B_REV = 10
NB = 11

# ---- Q: fills executed by the paper exchange, not yet handed to the strategy (FIFO) -----------
Q_SEQ = 0
Q_ROLE = 1
Q_INDEX = 2
Q_CYCLE = 3
Q_REV = 4
Q_SIDE = 5
Q_PRICE = 6
Q_QTY = 7
Q_FEE = 8
NQ = 9
QCAP = 64

# ---- X: intents of the batch being built (sent in order after the whole decision) -------------
X_CANCEL = 0  # 1: cancel the paper order with X_SEQ; 0: place
X_SEQ = 1
X_ROLE = 2
X_INDEX = 3
X_SIDE = 4
X_QTY = 5
X_PRICE = 6  # NaN: market
X_REV = 7
NX = 8
XCAP = 64

# ---- fill output columns -----------------------------------------------------------------------
F_PRICE = 0
F_QTY = 1
F_FEE = 2
NF = 3
I_TIME = 0
I_SIDE = 1
I_ROLE = 2
I_LEVEL = 3
NI = 4
