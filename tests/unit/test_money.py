"""Exact money: precision above the 28 digits of Python's default context, zero, refusals."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from token_profiler import money

pytestmark = pytest.mark.unit

# 23 significant digits of price and 12 of tokens: a 35-digit product, more than the 28 digits of
# Python's default decimal context and fewer than the 38 DynamoDB keeps.
LONG_PRICE = "0.12345678901234567890123"
MANY_TOKENS = 987_654_321_987


def exact_digits(tokens: int, price: str) -> tuple[int, int]:
    """tokens / 1000 × price with integers only: (digits, scale), the value being digits / 10**scale."""
    whole, _, fraction = price.partition(".")
    return int(whole + fraction) * tokens, len(fraction) + 3


def exact(tokens: int, price: str) -> Decimal:
    digits, scale = exact_digits(tokens, price)
    return Decimal(f"{digits}E-{scale}")


def test_cost_keeps_more_than_28_digits():
    expected = exact(MANY_TOKENS, LONG_PRICE)
    assert len(expected.as_tuple().digits) > 28
    assert money.cost(MANY_TOKENS, Decimal(LONG_PRICE)) == expected


def test_cost_is_exact_whatever_the_callers_decimal_context():
    with decimal.localcontext(decimal.Context(prec=6)):
        assert money.cost(MANY_TOKENS, Decimal(LONG_PRICE)) == exact(MANY_TOKENS, LONG_PRICE)


def test_sum_keeps_more_than_28_digits():
    digits, scale = exact_digits(MANY_TOKENS, LONG_PRICE)
    whole = 1_000  # the sum has 31 significant digits, within the 38 kept
    total = money.add(exact(MANY_TOKENS, LONG_PRICE), Decimal(whole), exact(MANY_TOKENS, LONG_PRICE))
    expected = Decimal(f"{2 * digits + whole * 10**scale}E-{scale}")
    assert len(expected.as_tuple().digits) > 28
    assert total == expected


def test_money_string_keeps_more_than_28_digits():
    digits, scale = exact_digits(MANY_TOKENS, LONG_PRICE)
    text = str(digits).rjust(scale + 1, "0")
    expected = f"{text[:-scale]}.{text[-scale:]}".rstrip("0")
    assert len(expected.replace(".", "").lstrip("0")) > 28
    assert money.money_str(exact(MANY_TOKENS, LONG_PRICE)) == expected


@pytest.mark.parametrize(("tokens", "price"), [(0, "1.5"), (1500, "0"), (0, "0")])
def test_no_tokens_or_no_price_cost_an_exact_zero(tokens, price):
    value = money.cost(tokens, Decimal(price))
    assert value == 0
    assert str(value) == "0"  # not 0.0000: the stored number carries no made-up digits


def test_cost_of_one_token():
    assert money.cost(1, Decimal("0.003")) == Decimal("0.000003")
    assert money.money_str(money.cost(1, Decimal("0.003"))) == "0.000003"


@pytest.mark.parametrize(
    ("value", "what", "message"),
    [
        (0.5, "price", "price must be a decimal string, not float"),
        (True, "price", "price must be a decimal string, not bool"),
        ("abc", "input", "input is not a decimal number: 'abc'"),
        ("-1", "output", "output must be a finite number >= 0: '-1'"),
        ("Infinity", "price", "price must be a finite number >= 0: 'Infinity'"),
        ("NaN", "price", "price must be a finite number >= 0: 'NaN'"),
    ],
)
def test_refusals_name_the_field_and_the_value(value, what, message):
    with pytest.raises(ValueError) as caught:
        money.to_decimal(value, what)
    assert str(caught.value) == message


def test_default_field_name_is_price():
    with pytest.raises(ValueError, match="^price must be a decimal string, not float$"):
        money.to_decimal(1.5)


@pytest.mark.parametrize(("value", "expected"), [(" 0.25 ", "0.25"), (3, "3"), ("0", "0")])
def test_accepted_values(value, expected):
    assert money.to_decimal(value) == Decimal(expected)
