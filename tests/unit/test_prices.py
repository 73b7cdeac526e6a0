"""The price table: every model priced, exact lookup, profiles, fallbacks, unknown models, exact money."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from token_profiler import money
from token_profiler.errors import ConfigError
from token_profiler.prices import CATALOG_PATH, Catalog, load_catalog

pytestmark = pytest.mark.unit

# US$ per 1,000,000 tokens (input, output, cache write, cache read), written out here by hand from
# the research notes so the test does not read the table it checks.
PER_MILLION = {
    "anthropic.claude-3-haiku-20240307-v1:0": ("0.25", "1.25", None, None),
    "anthropic.claude-3-sonnet-20240229-v1:0": ("3.00", "15.00", None, None),
    "anthropic.claude-3-opus-20240229-v1:0": ("15.00", "75.00", None, None),
    "anthropic.claude-3-5-haiku-20241022-v1:0": ("0.80", "4.00", "1.00", "0.08"),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": ("3.00", "15.00", "3.75", "0.30"),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": ("3.00", "15.00", "3.75", "0.30"),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": ("3.00", "15.00", "3.75", "0.30"),
    "anthropic.claude-sonnet-4-20250514-v1:0": ("3.00", "15.00", "3.75", "0.30"),
    "amazon.nova-micro-v1:0": ("0.035", "0.14", None, None),
    "amazon.nova-lite-v1:0": ("0.06", "0.24", None, None),
    "amazon.nova-pro-v1:0": ("0.80", "3.20", None, None),
    "amazon.titan-text-express-v1": ("0.20", "0.60", None, None),
    "amazon.titan-text-lite-v1": ("0.15", "0.20", None, None),
    "amazon.titan-embed-text-v1": ("0.10", "0", None, None),
    "amazon.titan-embed-text-v2:0": ("0.02", "0", None, None),
    "meta.llama3-8b-instruct-v1:0": ("0.30", "0.60", None, None),
    "meta.llama3-70b-instruct-v1:0": ("2.65", "3.50", None, None),
    "meta.llama3-1-8b-instruct-v1:0": ("0.22", "0.22", None, None),
    "meta.llama3-1-70b-instruct-v1:0": ("0.72", "0.72", None, None),
    "meta.llama3-3-70b-instruct-v1:0": ("0.72", "0.72", None, None),
    "mistral.mistral-7b-instruct-v0:2": ("0.15", "0.20", None, None),
    "mistral.mixtral-8x7b-instruct-v0:1": ("0.45", "0.70", None, None),
    "mistral.mistral-large-2402-v1:0": ("4.00", "12.00", None, None),
    "cohere.command-r-v1:0": ("0.50", "1.50", None, None),
    "cohere.command-r-plus-v1:0": ("3.00", "15.00", None, None),
    "cohere.embed-english-v3": ("0.10", "0", None, None),
    "cohere.embed-multilingual-v3": ("0.10", "0", None, None),
}
EMBEDDINGS = {
    "amazon.titan-embed-text-v1",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "cohere.embed-multilingual-v3",
}


def per_thousand(value: str | None) -> Decimal:
    return Decimal(value) / 1000 if value else Decimal(0)


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


def test_catalog_holds_exactly_the_required_models(catalog):
    assert set(catalog.models) == set(PER_MILLION)


@pytest.mark.parametrize("model_id", sorted(PER_MILLION))
def test_every_model_is_priced_in_the_default_region(catalog, model_id):
    quote = catalog.quote(model_id, "us-east-1")
    inp, out, cache_write, cache_read = PER_MILLION[model_id]
    assert not quote.unpriced and not quote.fallback and quote.region == "us-east-1"
    assert quote.price.input == per_thousand(inp)
    assert quote.price.output == per_thousand(out)
    assert quote.price.cache_write == per_thousand(cache_write)
    assert quote.price.cache_read == per_thousand(cache_read)
    assert quote.price.source.startswith("https://")
    assert quote.price.as_of
    assert catalog.models[model_id].kind == ("embedding" if model_id in EMBEDDINGS else "text")


def test_prices_in_the_file_are_strings_never_floats():
    raw = json.loads(CATALOG_PATH.read_text())
    for model in raw["models"].values():
        for price in model["prices"].values():
            for field in ("input", "output", "cache_read", "cache_write"):
                if field in price:
                    assert isinstance(price[field], str)


@pytest.mark.parametrize("prefix", ["us.", "eu.", "apac.", "global."])
def test_inference_profile_ids_resolve_to_the_base_model(catalog, prefix):
    base = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    assert catalog.resolve(prefix + base).model_id == base
    quote = catalog.quote(prefix + base, "us-east-1")
    assert quote.price.input == Decimal("0.003") and not quote.unpriced


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-3-sonnet",  # a prefix of a real id: no substring matching
        "anthropic.claude-3-sonnet-20240229-v1:0-extra",
        "xx.anthropic.claude-3-sonnet-20240229-v1:0",
        "us.us.anthropic.claude-3-sonnet-20240229-v1:0",
        "claude-3-sonnet-20240229-v1:0",
        "",
    ],
)
def test_lookup_is_exact(catalog, model_id):
    assert catalog.resolve(model_id) is None
    assert catalog.quote(model_id, "us-east-1").unpriced


def test_missing_region_falls_back_to_the_default_region_and_is_flagged(catalog):
    quote = catalog.quote("anthropic.claude-3-haiku-20240307-v1:0", "eu-west-3")
    assert quote.fallback and not quote.unpriced
    assert quote.region == "us-east-1"
    assert quote.price.input == Decimal("0.00025")


def test_unknown_model_costs_zero_and_is_unpriced(catalog):
    quote = catalog.quote("acme.unknown-model-v1:0", "us-east-1")
    assert quote.unpriced and quote.price is None
    costs = catalog.costs(quote, 1000, 1000, 10, 10)
    assert costs.total == 0


def test_seed_example_is_exact(catalog):
    # the seed's row: Claude 3 Sonnet, 10 in / 282 out at 0.003 / 0.015 per 1,000
    quote = catalog.quote("anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1")
    costs = catalog.costs(quote, 10, 282, 0, 0)
    assert costs.input == Decimal("0.00003")
    assert costs.output == Decimal("0.00423")
    assert money.money_str(costs.input) == "0.00003"
    assert money.money_str(costs.output) == "0.00423"
    assert money.money_str(costs.total) == "0.00426"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.000000035"), "0.000000035"),
        (Decimal("3E-5"), "0.00003"),
        (Decimal("0.000030"), "0.00003"),
        (Decimal("1E+2"), "100"),
        (Decimal("0"), "0"),
        (Decimal("12345678901234.123456789"), "12345678901234.123456789"),
    ],
)
def test_money_strings_have_no_exponent_and_no_trailing_zeros(value, text):
    assert money.money_str(value) == text


def test_large_sums_stay_exact(catalog):
    quote = catalog.quote("amazon.nova-micro-v1:0", "us-east-1")
    tokens = 987_654_321_987
    cost = catalog.costs(quote, tokens, 0, 0, 0).input
    assert cost == Decimal(tokens) * Decimal("0.035") / Decimal(1_000_000)
    assert money.money_str(cost) == "34567.901269545"


def test_overrides_add_and_replace_prices():
    overrides = json.dumps(
        {
            "acme.new-model-v1:0": {
                "kind": "text",
                "max_tokens": 1000,
                "prices": {"us-east-1": {"input": "0.5", "output": "1"}},
            },
            "anthropic.claude-3-haiku-20240307-v1:0": {
                "prices": {"eu-west-3": {"input": "0.0003", "output": "0.0015"}}
            },
        }
    )
    catalog = load_catalog(overrides)
    assert catalog.quote("acme.new-model-v1:0", "us-east-1").price.output == Decimal(1)
    eu = catalog.quote("anthropic.claude-3-haiku-20240307-v1:0", "eu-west-3")
    assert eu.price.input == Decimal("0.0003") and not eu.fallback
    # the catalog's own region is kept beside the added one
    assert catalog.quote("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1").price.input == Decimal(
        "0.00025"
    )


def test_profile_prices_apply_to_their_geography_only():
    overrides = json.dumps(
        {
            "anthropic.claude-sonnet-4-20250514-v1:0": {
                "profile_prices": {"global": {"us-east-1": {"input": "0.0027", "output": "0.0135"}}}
            }
        }
    )
    catalog = load_catalog(overrides)
    base = "anthropic.claude-sonnet-4-20250514-v1:0"
    assert catalog.quote("global." + base, "us-east-1").price.input == Decimal("0.0027")
    assert catalog.quote("us." + base, "us-east-1").price.input == Decimal("0.003")
    assert catalog.quote(base, "us-east-1").price.input == Decimal("0.003")


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ("{not json", "PRICE_OVERRIDES"),
        ("[]", "PRICE_OVERRIDES"),
        ('{"m.x": {"prices": {"us-east-1": {"input": 0.1, "output": "1"}}}}', "m.x.prices.us-east-1.input"),
        ('{"m.x": {"prices": {"us-east-1": {"input": "-1", "output": "1"}}}}', "m.x.prices.us-east-1.input"),
        ('{"m.x": {"prices": {"us-east-1": {"output": "1"}}}}', "m.x.prices.us-east-1.input"),
        ('{"m.x": {"kind": "video"}}', "m.x.kind"),
        ('{"m.x": {"max_tokens": 0}}', "m.x.max_tokens"),
    ],
)
def test_bad_overrides_fail_naming_the_key(overrides, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_catalog(overrides)
