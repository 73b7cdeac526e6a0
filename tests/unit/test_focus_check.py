"""The FOCUS 1.2 rules checker on rows written here by hand: each broken rule gives exactly the
problems (row, column, message) the rule names, and a conforming row gives none.

The expected problems are written out from the FOCUS 1.2 rules (feature level, type, format,
conditional row rules), not read back from the checker.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from token_profiler import focus_check

pytestmark = pytest.mark.unit

# FOCUS 1.2's Mandatory columns, sorted (the order the checker reports missing ones in)
MANDATORY = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)  # fmt: skip
NOT_NULL_ON_USAGE = (
    "must not be null when ChargeCategory is Usage or Purchase and ChargeClass is not Correction"
)


def good_row(**changes) -> dict:
    """A usage row that keeps every rule: 1,000 tokens at 0.003 per 1K on 2026-11-05."""
    row = {
        "BilledCost": Decimal("0.003"),
        "BillingAccountId": "example-prod",
        "BillingAccountName": None,
        "BillingCurrency": "USD",
        "BillingPeriodEnd": "2026-12-01T00:00:00Z",
        "BillingPeriodStart": "2026-11-01T00:00:00Z",
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeDescription": "Input tokens",
        "ChargePeriodEnd": "2026-11-06T00:00:00Z",
        "ChargePeriodStart": "2026-11-05T00:00:00Z",
        "ConsumedQuantity": Decimal(1000),
        "ConsumedUnit": "Tokens",
        "ContractedCost": Decimal("0.003"),
        "ContractedUnitPrice": Decimal("0.003"),
        "EffectiveCost": Decimal("0.003"),
        "InvoiceIssuerName": "Example SaaS",
        "ListCost": Decimal("0.003"),
        "ListUnitPrice": Decimal("0.003"),
        "PricingCategory": "Standard",
        "PricingQuantity": Decimal(1),
        "PricingUnit": "1000 Tokens",
        "ProviderName": "Example SaaS",
        "PublisherName": "Anthropic",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": "Bedrock model access",
        "ServiceSubcategory": "Generative AI",
        "SkuId": "m/input/standard",
        "SubAccountId": "acme",
        "SubAccountName": "acme",
        "Tags": '{"tokenprofiler/tenant":"acme"}',
    }
    row.update(changes)  # a new FOCUS column goes before the custom one
    row["x_ModelId"] = "m"
    return row


def problems(*rows, **kwargs) -> list[str]:
    return [str(p) for p in focus_check.check_rows(list(rows), **kwargs)]


def test_the_hand_written_row_conforms():
    assert problems(good_row()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # a Decimal that is not a number
        (
            {"BilledCost": Decimal("NaN")},
            ["BilledCost: must be a Decimal number, got Decimal('NaN')"],
        ),
        ({"BilledCost": "0.003"}, ["BilledCost: must be a Decimal number, got '0.003'"]),
        # a parsed number is checked in plain notation: 1E+3 is 1000, and costs may be negative (credits)
        ({"EffectiveCost": Decimal("1E+3")}, []),
        ({"BilledCost": Decimal("-0.003")}, []),
        # unit prices may be 0, never below
        ({"ListUnitPrice": Decimal(0), "ListCost": Decimal(0)}, []),
        (
            {"ListUnitPrice": Decimal("-0.003"), "ListCost": Decimal("-0.003")},
            ["ListUnitPrice: must not be negative, got -0.003"],
        ),
        ({"ChargeDescription": 5}, ["ChargeDescription: must be a String string, got int"]),
        (
            {"ChargeDescription": ""},
            ["ChargeDescription: an empty string must be null instead (Null Handling)"],
        ),
        (
            {"ChargePeriodEnd": "2026-11-06T00:00:00"},
            ["ChargePeriodEnd: '2026-11-06T00:00:00' breaks Date/Time Format (YYYY-MM-DDTHH:mm:ssZ, UTC)"],
        ),
        (
            {"ChargePeriodEnd": "2026-11-31T00:00:00Z"},
            ["ChargePeriodEnd: '2026-11-31T00:00:00Z' is not a real instant"],
        ),
        ({"Tags": "{"}, ["Tags: is not serialized JSON (Key-Value Format)"]),
        ({"Tags": '"acme"'}, ["Tags: must be a JSON object (Key-Value Format)"]),
        (
            {"Tags": '{"a":[1]}'},
            ["Tags: values must be scalars, not objects or arrays (Key-Value Format)"],
        ),
        ({"Tags": '{"a":1,"b":null,"c":true}'}, []),
        ({"BillingCurrency": "usd"}, ["BillingCurrency: 'usd' breaks CurrencyFormat"]),
        ({"PricingUnit": "1,000 Tokens"}, ["PricingUnit: '1,000 Tokens' breaks UnitFormat"]),
        ({"ConsumedUnit": "Tokens!"}, ["ConsumedUnit: 'Tokens!' breaks UnitFormat"]),
        ({"ChargeFrequency": "Daily"}, ["ChargeFrequency: 'Daily' is not an allowed value"]),
        ({"ChargeFrequency": "Usage-Based"}, []),
        # a free string column has no format to break
        ({"SkuId": "a b/c!"}, []),
    ],
)
def test_each_value_rule_gives_its_own_message(changes, expected):
    assert problems(good_row(**changes)) == [f"row 0: {p}" for p in expected]


def test_a_missing_mandatory_column_is_named():
    row = good_row()
    del row["PricingUnit"]
    del row["BilledCost"]
    assert problems(row) == [
        "row 0: BilledCost: Mandatory column missing",
        "row 0: PricingUnit: Mandatory column missing",
    ]
    assert focus_check.mandatory_columns() == list(MANDATORY)


def test_focus_columns_after_a_custom_one_are_out_of_order_unless_order_is_not_checked():
    row = {"x_ModelId": "m", **{k: v for k, v in good_row().items() if k != "x_ModelId"}}
    first_two = list(row)[1:3]
    found = problems(row)
    assert found[:2] == [f"row 0: {name}: FOCUS columns come before custom columns" for name in first_two]
    assert len(found) == len(row) - 1  # every FOCUS column, each once
    assert problems(row, column_order=False) == []
    assert problems(good_row(), column_order=False) == []


def test_conditional_row_rules():
    assert problems(good_row(ListUnitPrice=None)) == [f"row 0: ListUnitPrice: {NOT_NULL_ON_USAGE}"]
    # a correction may leave the price out, and is not held to price x quantity
    assert problems(good_row(ListUnitPrice=None, ChargeClass="Correction")) == []
    assert problems(good_row(ListUnitPrice=Decimal(5), ChargeClass="Correction")) == []
    assert problems(good_row(ListUnitPrice=Decimal("0.004"))) == [
        "row 0: ListUnitPrice: x PricingQuantity is 0.004, but ListCost is 0.003"
    ]
    assert problems(good_row(SubAccountName=None)) == [
        "row 0: SubAccountName: must be null exactly when SubAccountId is null"
    ]
    assert problems(good_row(SubAccountName=None, SubAccountId=None)) == []
    # a tax row: no unit price, no quantity, no SKU
    tax = good_row(
        ChargeCategory="Tax", ConsumedQuantity=None, ConsumedUnit=None, PricingCategory=None, SkuId=None
    )
    assert problems(tax) == [
        "row 0: ContractedUnitPrice: must be null when ChargeCategory is Tax",
        "row 0: ListUnitPrice: must be null when ChargeCategory is Tax",
        "row 0: PricingQuantity: must be null when ChargeCategory is Tax",
    ]
    # usage under an unused commitment has no consumed quantity
    unused = good_row(CommitmentDiscountStatus="Unused")
    assert problems(unused) == [
        "row 0: ConsumedQuantity: must be null when ChargeCategory is Usage"
        " and CommitmentDiscountStatus is Unused"
    ]
    assert problems(good_row(CommitmentDiscountStatus="Used", ConsumedQuantity=None, ConsumedUnit=None)) == [
        "row 0: ConsumedQuantity: must not be null when ChargeCategory is Usage and CommitmentDiscountStatus"
        " is not Unused and ChargeClass is not Correction"
    ]


def test_a_condition_with_several_values_reads_as_alternatives():
    condition = {
        "ChargeCategory": {"in": ["Usage", "Purchase"]},
        "ChargeClass": {"not_in": ["Correction", "X"]},
    }
    assert focus_check._describe(condition) == (
        "ChargeCategory is Usage or Purchase and ChargeClass is not Correction or X"
    )


def test_periods_order_and_the_charge_inside_the_billing_period():
    assert problems(good_row(ChargePeriodEnd="2026-11-05T00:00:00Z")) == [
        "row 0: ChargePeriodEnd: the exclusive end must come after the start"
    ]
    assert problems(good_row(BillingPeriodEnd="2026-11-01T00:00:00Z")) == [
        "row 0: BillingPeriodEnd: the exclusive end must come after the start",
        "row 0: ChargePeriodStart: the charge period must start inside the billing period",
    ]
    # the billing period's first and last day hold charges; its exclusive end does not
    first = good_row(ChargePeriodStart="2026-11-01T00:00:00Z", ChargePeriodEnd="2026-11-02T00:00:00Z")
    last = good_row(ChargePeriodStart="2026-11-30T00:00:00Z", ChargePeriodEnd="2026-12-01T00:00:00Z")
    assert problems(first, last) == []
    after = good_row(ChargePeriodStart="2026-12-01T00:00:00Z", ChargePeriodEnd="2026-12-02T00:00:00Z")
    assert problems(first, after) == [
        "row 1: ChargePeriodStart: the charge period must start inside the billing period"
    ]
    assert problems(good_row(ServiceCategory="Storage")) == [
        "row 0: ServiceSubcategory: 'Generative AI' is not a subcategory of 'Storage'"
    ]
    # the pairs are recorded in the rules file (the checker has no fallback for them)
    pairs = focus_check.rules()["columns"]["ServiceSubcategory"]["allowed_pairs_with_ServiceCategory"]
    assert ["AI and Machine Learning", "Generative AI"] in pairs and ["Storage", "Object Storage"] in pairs


def test_an_export_line_that_is_not_an_object_is_reported_once_and_read_as_empty():
    good = ",".join(
        f"{json.dumps(k)}:{v if isinstance(v, Decimal) else json.dumps(v)}" for k, v in good_row().items()
    )
    text = "not json\n[1]\n{" + good + "}"
    found = focus_check.check_jsonl(text + "\n")
    head = [(p.row, p.column) for p in found[:2]]
    assert head == [(0, "*"), (1, "*")]
    assert found[0].message.startswith("not a JSON object: Expecting value")
    assert found[1].message == "not a JSON object"
    # then both lines read as rows without any column: every Mandatory column missing, nothing else
    assert [str(p) for p in found[2:]] == [
        f"row {n}: {name}: Mandatory column missing" for n in (0, 1) for name in MANDATORY
    ]


def test_a_column_foreign_to_focus_is_named_and_the_columns_after_it_still_checked():
    row = {"TokenKind": "input", **good_row(ChargeDescription="")}
    assert problems(row) == [
        "row 0: TokenKind: not a FOCUS 1.2 column; custom columns need the x_ prefix",
        "row 0: ChargeDescription: an empty string must be null instead (Null Handling)",
    ]
    assert problems(good_row(BilledCost=None)) == ["row 0: BilledCost: must not be null"]
