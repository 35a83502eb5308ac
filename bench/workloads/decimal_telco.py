"""decimal: a telephone bill (many small Decimals, rounding) and pi to many digits.

The _decimal module and the libmpdec library it is built with.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

CALLS = 600_000
PI_DIGITS = 10_000


def bill() -> Decimal:
    """Charges for calls, as in the telco benchmark: rate times duration, taxes, rounding."""
    cents = Decimal("0.01")
    rates = (Decimal("0.0013"), Decimal("0.00894"))
    basic_tax, distance_tax = Decimal("0.0675"), Decimal("0.0341")
    total = Decimal(0)
    for n in range(CALLS):
        seconds = Decimal(n * 7919 % 3600 + 1)
        price = (rates[n % 2] * seconds).quantize(cents, rounding=decimal.ROUND_HALF_EVEN)
        tax = (price * basic_tax).quantize(cents, rounding=decimal.ROUND_DOWN)
        if n % 2:
            tax += (price * distance_tax).quantize(cents, rounding=decimal.ROUND_DOWN)
        total += price + tax
    return total


def pi(digits: int) -> Decimal:
    """The recipe from the decimal documentation."""
    with decimal.localcontext() as ctx:
        ctx.prec = digits + 2
        three = Decimal(3)
        lasts, t, s, n, na, d, da = Decimal(0), three, Decimal(3), 1, 0, 0, 24
        while s != lasts:
            lasts = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
        ctx.prec = digits
        return +s


def bench() -> str:
    return f"{bill()} {str(pi(PI_DIGITS))[-10:]}"
