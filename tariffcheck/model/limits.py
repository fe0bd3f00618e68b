"""The bounds every stage agrees on: the days, counts and contracts an order may state, the
solver's default time limit, and the defaults of explanations and repairs that the command line
states in its help.

The decoder rejects an order outside these bounds, the JSON Schema states them, and the Z3
encoding declares its variables within them, so a value the decoder accepts is always one the
solver can represent.
"""

from __future__ import annotations

from datetime import date

MAX_COUNT = 10_000_000  # no tariff here sells more; a larger number is a typo or a unit mix-up
MAX_CONTRACTS = 10_000
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)
MIN_DAY, MAX_DAY = FIRST_DAY.toordinal(), LAST_DAY.toordinal()

# each solver call (a Z3 check, one step of explain, repair, propagation or an analysis) stops
# after this long and answers "unknown", never a guess
DEFAULT_TIMEOUT_MS = 5_000

DEFAULT_LIMIT = 10  # how many minimal conflicts `explain --all` lists unless told
# the order's fields a repair keeps as they are unless unlocked: the past, which no change can move
DEFAULT_LOCKED = ("application_date", "notice_arrived")

REQUESTS = ("new", "change", "cancellation")  # the kinds of request, in the encoding's order
