"""Exact money arithmetic: Decimal built from strings, rendered without exponents."""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

# 38 significant digits: what DynamoDB numbers hold, far above any bill.
_CTX = Context(prec=38)
ZERO = Decimal(0)


def to_decimal(value: object, what: str = "price") -> Decimal:
    """Parse a price given as a string (or int); floats are refused because they are not exact."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"{what} must be a decimal string, not {type(value).__name__}")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{what} is not a decimal number: {value!r}") from exc
    if not result.is_finite() or result < 0:
        raise ValueError(f"{what} must be a finite number >= 0: {value!r}")
    return result


def cost(tokens: int, price_per_1000: Decimal) -> Decimal:
    """tokens / 1000 × price, exact (scaleb shifts the exponent, no rounding)."""
    if not tokens or not price_per_1000:
        return ZERO
    return _CTX.multiply(Decimal(tokens), price_per_1000).scaleb(-3, _CTX)


def add(*values: Decimal) -> Decimal:
    total = ZERO
    for value in values:
        total = _CTX.add(total, value)
    return total


def money_str(value: Decimal) -> str:
    """'0.00003', never '3E-5' or '0.000030'."""
    if not value:
        return "0"
    text = format(value.normalize(_CTX), "f")
    return text
