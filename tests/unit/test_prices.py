"""The shipped catalog (every price traced to its source, Nova cache reads, profiles, lifecycle) and
the catalog reader's rules (effective periods, overrides, errors naming the key), with exact money."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from token_profiler import money
from token_profiler.errors import ConfigError
from token_profiler.prices import CATALOG_PATH, RATE_FIELDS, Catalog, load_catalog

from scripts import prices as price_list
from scripts.prices.__main__ import main

pytestmark = pytest.mark.unit

RAW = json.loads(CATALOG_PATH.read_text())
OFFER = json.loads(price_list.HANDBUILT_OFFER.read_text())
OVERRIDES = {e["id"]: e for e in json.loads(price_list.OVERRIDES.read_text())["entries"]}
APP_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1"
SEED = "anthropic.claude-3-sonnet-20240229-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = [
    "amazon.nova-micro-v1:0",
    "amazon.nova-lite-v1:0",
    "amazon.nova-pro-v1:0",
    "amazon.nova-premier-v1:0",
    "amazon.nova-2-lite-v1:0",
]
# the current models the price-catalog issue lists, by their Bedrock ids
REQUIRED = [
    SONNET_45,
    "anthropic.claude-sonnet-4-6",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-opus-4-1-20250805-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "anthropic.claude-opus-4-6-v1",
    "amazon.nova-premier-v1:0",
    "amazon.nova-2-lite-v1:0",
    "meta.llama3-2-1b-instruct-v1:0",
    "meta.llama3-2-90b-instruct-v1:0",
    "meta.llama4-scout-17b-instruct-v1:0",
    "meta.llama4-maverick-17b-instruct-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "mistral.mistral-small-2402-v1:0",
    "mistral.pixtral-large-2502-v1:0",
    "deepseek.r1-v1:0",
    "deepseek.v3-v1:0",
    "openai.gpt-oss-20b-1:0",
    "openai.gpt-oss-120b-1:0",
    "cohere.embed-v4:0",
    "writer.palmyra-x4-v1:0",
    "writer.palmyra-x5-v1:0",
]


def periods_of(raw: dict):
    """(model, scope, region, period) for every period of the raw catalog, history included."""
    for model_id, model in raw["models"].items():
        tables = [("", model.get("prices", {}))]
        tables += list(model.get("profile_prices", {}).items())
        for scope, by_region in tables:
            for region, entry in by_region.items():
                for period in [*entry.get("history", []), entry]:
                    yield model_id, scope, region, period


def offer_rate(sku: str) -> Decimal:
    (term,) = OFFER["terms"]["OnDemand"][sku].values()
    (dimension,) = term["priceDimensions"].values()
    assert dimension["unit"] == "1K tokens"
    return Decimal(dimension["pricePerUnit"]["USD"])


def test_the_shipped_catalog_is_what_make_prices_builds(tmp_path):
    target = tmp_path / "catalog.json"
    target.write_text(CATALOG_PATH.read_text())
    assert main(["--catalog", str(target), "--check"]) == 0


def test_every_price_traces_to_its_source():
    count = 0
    for model_id, scope, region, period in periods_of(RAW):
        rates = [f for f in RATE_FIELDS if f in period]
        assert rates and "input" in rates, (model_id, region)
        assert set(period["sources"]) == set(rates), (model_id, region)
        for field in rates:
            count += 1
            source = period["sources"][field]
            kind, ref = source.split()[:2]
            if kind == "AmazonBedrock":
                product = OFFER["products"][ref]["attributes"]
                assert source.endswith(f" v{OFFER['version']}")
                assert product["regionCode"] == region
                assert Decimal(period[field]) == offer_rate(ref), (model_id, region, field)
                names = json.loads(price_list.MODELS.read_text())["models"][model_id]["price_list_names"]
                assert product["model"] in names
            else:
                assert kind == "override"
                entry = OVERRIDES[ref]
                assert entry["model"] == model_id and entry.get("scope", "") == scope
                assert entry["source"].startswith("https://") and entry["why"]
                if field in entry.get("rates", {}):
                    assert Decimal(period[field]) == Decimal(entry["rates"][field])
                else:
                    base, factor = entry["derive"][field]
                    assert source.endswith(f"({factor} x {base})")
                    assert Decimal(period[field]) == Decimal(period[base]) * Decimal(factor)
    assert count > 300


@pytest.mark.parametrize("model_id", NOVA)
def test_each_nova_model_bills_cache_reads_at_a_quarter_of_input(model_id):
    catalog = load_catalog()
    regions = RAW["models"][model_id]["prices"]
    assert regions
    for region in regions:
        quote = catalog.price_for(model_id, region, "2026-11-26")
        assert quote.price.cache_read == quote.price.input / 4 > 0
        costs = catalog.costs(quote, 0, 0, 1_000_000, 0)
        assert (
            Fraction(costs.cache_read)
            == 1_000_000 * Fraction(RAW["models"][model_id]["prices"][region]["input"]) / 4 / 1000
        )
        assert costs.missing == ()


@pytest.mark.parametrize("model_id", REQUIRED)
def test_current_models_are_priced(model_id):
    model = load_catalog().models[model_id]
    assert model.prices and all(periods[-1].rates["input"] > 0 for periods in model.prices.values())
    assert model.lifecycle.status("2026-11-30") != "end-of-life"


def test_global_costs_less_than_in_region_from_sonnet_4_5_on():
    catalog = load_catalog()
    for model_id in (SONNET_45, "anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-opus-4-6-v1"):
        glob = catalog.price_for("global." + model_id, "us-east-1", "2026-11-26")
        geo = catalog.price_for("us." + model_id, "us-east-1", "2026-11-26")
        bare = catalog.price_for(model_id, "us-east-1", "2026-11-26")
        assert glob.scope == "global" and geo.scope == "" and geo.price is bare.price
        for field in ("input", "output", "cache_read", "cache_write", "cache_write_1h"):
            assert glob.price.rates[field] * Decimal("1.1") == geo.price.rates[field], (model_id, field)


def test_seed_example_is_exact():
    # the seed's row: Claude 3 Sonnet, 10 in / 282 out at 0.003 / 0.015 per 1,000
    catalog = load_catalog()
    quote = catalog.price_for(SEED, "us-east-1", "2025-01-01")
    costs = catalog.costs(quote, 10, 282, 0, 0)
    assert costs.input == Decimal("0.00003")
    assert costs.output == Decimal("0.00423")
    assert money.money_str(costs.total) == "0.00426"


def test_profile_only_models_name_their_profiles():
    catalog = load_catalog()
    for model_id in ("anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"):
        assert catalog.profile_for(model_id, "us-east-1")[0] == "us." + model_id
    assert catalog.profile_for(SONNET_45, "eu-west-3") == ("eu." + SONNET_45, "global." + SONNET_45)
    assert catalog.profile_for(SEED, "us-east-1") == ()
    assert catalog.profile_for("amazon.nova-micro-v1:0", "us-east-1") == ()
    assert catalog.profile_for("amazon.nova-micro-v1:0", "us-west-2") == ("us.amazon.nova-micro-v1:0",)


def test_lifecycle_successors_are_catalog_models():
    catalog = load_catalog()
    for model in catalog.models.values():
        if model.lifecycle.successor:
            successor = catalog.models[model.lifecycle.successor]
            assert successor.lifecycle.status("2026-11-30") != "end-of-life"
    assert catalog.models[SEED].lifecycle.status("2026-11-30") == "end-of-life"


def test_prices_in_the_file_are_strings_never_floats():
    for _, _, _, period in periods_of(RAW):
        for field in RATE_FIELDS:
            if field in period:
                assert isinstance(period[field], str)


# -- the reader's rules, on small catalogs written here ------------------------------------------


def small(**model) -> Catalog:
    return Catalog({"models": {"m.x": {"kind": "text", **model}}})


def period(**rates) -> dict:
    return {"input": "0.001", "output": "0.002", **rates}


def test_periods_apply_from_their_first_day():
    entry = {
        **period(input="0.003", **{"from": "2026-06-10"}),
        "history": [
            period(input="0.001", **{"from": "2026-01-01"}),
            period(input="0.002", **{"from": "2026-03-01"}),
        ],
    }
    catalog = small(prices={"r": entry})
    got = {
        d: catalog.price_for("m.x", "r", d)
        for d in (
            "2025-12-31",
            "2026-01-01",
            "2026-02-28",
            "2026-03-01",
            "2026-06-09",
            "2026-06-10",
            "2027-01-01",
        )
    }
    assert got["2025-12-31"].missing and got["2025-12-31"].price is None
    assert [got[d].price.input for d in list(got)[1:]] == [
        Decimal(v) for v in ("0.001", "0.001", "0.002", "0.002", "0.003", "0.003")
    ]
    assert [got[d].changed_on_day for d in got] == [False, False, False, True, False, True, False]
    assert got["2026-03-01"].price.effective == "2026-03-01"


def test_a_period_without_a_date_applies_since_always():
    catalog = small(prices={"r": period()})
    quote = catalog.price_for("m.x", "r", "1999-01-01")
    assert quote.price.effective == "" and not quote.changed_on_day and not quote.missing


@pytest.mark.parametrize(
    "history",
    [
        [period(**{"from": "2026-06-10"})],  # same day as the current period
        [period(**{"from": "2026-07-01"})],  # after it
        [period(**{"from": "2026-01-01"}), period(**{"from": "2026-01-01"})],
        [period()],  # an undated period before a dated one is fine, but not after one
    ][:3],
)
def test_periods_out_of_order_are_refused(history):
    with pytest.raises(ConfigError, match=r"catalog\.m\.x\.prices\.r\.history: periods must be in order"):
        small(prices={"r": {**period(**{"from": "2026-06-10"}), "history": history}})


def test_quote_is_cached_per_model_region_and_day():
    catalog = small(prices={"r": period()})
    assert catalog.price_for("m.x", "r", "2026-01-01") is catalog.price_for("m.x", "r", "2026-01-01")
    assert catalog.quote("m.x", "r") is catalog.quote("m.x", "r")
    assert catalog.quote("m.x", "r", "2026-01-02") is catalog.price_for("m.x", "r", "2026-01-02")


def test_costs_of_each_kind_use_their_own_rate():
    catalog = small(prices={"r": period(cache_read="0.0001", cache_write="0.004", cache_write_1h="0.008")})
    quote = catalog.price_for("m.x", "r", "2026-01-01")
    costs = catalog.costs(quote, 1000, 2000, 3000, 5000, 1000)
    assert (costs.input, costs.output, costs.cache_read, costs.cache_write) == (
        Decimal("0.001"),
        Decimal("0.004"),
        Decimal("0.0003"),
        Decimal("0.016") + Decimal("0.008"),
    )
    assert costs.total == Decimal("0.0293") and costs.missing == ()


def test_costs_refuse_an_unknown_tier_or_a_bad_one_hour_share():
    catalog = small(prices={"r": period()})
    quote = catalog.price_for("m.x", "r", "2026-01-01")
    with pytest.raises(ValueError, match="unknown tier"):
        catalog.costs(quote, 1, 1, 0, 0, tier="gold")
    with pytest.raises(ValueError, match="cache_write_1h"):
        catalog.costs(quote, 1, 1, 0, 2, 3)
    with pytest.raises(ValueError, match="cache_write_1h"):
        catalog.costs(quote, 1, 1, 0, 2, -1)
    assert catalog.costs(quote, 1, 1, 0, 2, 2).missing == ("cache_write_1h",)
    assert catalog.costs(quote, 1, 1, 0, 2, 0).missing == ("cache_write",)


def test_overrides_add_models_and_replace_a_regions_prices():
    overrides = json.dumps(
        {
            "acme.new-model-v1:0": {
                "kind": "text",
                "max_tokens": 1000,
                "prices": {"us-east-1": {"input": "0.5", "output": "1"}},
            },
            SEED: {"prices": {"eu-west-3": {"input": "0.0003", "output": "0.0015", "source": "contract 7"}}},
        }
    )
    catalog = load_catalog(overrides)
    assert catalog.price_for("acme.new-model-v1:0", "us-east-1", "2026-01-01").price.output == Decimal(1)
    eu = catalog.price_for(SEED, "eu-west-3", "2026-01-01")
    assert eu.price.input == Decimal("0.0003") and not eu.missing
    assert eu.price.sources == {"input": "contract 7", "output": "contract 7"}
    assert catalog.price_for(SEED, "us-east-1", "2026-01-01").price.input == Decimal("0.003")
    assert load_catalog(overrides) is catalog  # cached per container


def test_application_profile_arns_resolve_through_the_overrides():
    arn = "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/abc123"
    catalog = load_catalog(json.dumps({"application_profiles": {arn: "eu." + SONNET_45}}))
    assert catalog.resolve(arn).model_id == SONNET_45
    assert catalog.split(arn) == ("eu", SONNET_45)
    quote = catalog.price_for(arn, "eu-west-3", "2026-11-26")
    assert quote.price is catalog.price_for(SONNET_45, "eu-west-3", "2026-11-26").price
    assert load_catalog().resolve(arn) is None


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ("{not json", "PRICE_OVERRIDES"),
        ("[]", "PRICE_OVERRIDES"),
        ('{"m.x": {"prices": {"us-east-1": {"input": 0.1, "output": "1"}}}}', "m.x.prices.us-east-1.input"),
        ('{"m.x": {"prices": {"us-east-1": {"input": "-1", "output": "1"}}}}', "m.x.prices.us-east-1.input"),
        (
            '{"m.x": {"prices": {"us-east-1": {"input": "1", "flex_output": "x"}}}}',
            "m.x.prices.us-east-1.flex_output",
        ),
        ('{"m.x": {"prices": {"us-east-1": {"output": "1"}}}}', "m.x.prices.us-east-1.input"),
        ('{"m.x": {"prices": {"us-east-1": "1"}}}', "m.x.prices.us-east-1"),
        (
            '{"m.x": {"prices": {"us-east-1": {"input": "1", "from": "2026-13-01"}}}}',
            "m.x.prices.us-east-1.from",
        ),
        ('{"m.x": {"prices": {"us-east-1": {"input": "1", "from": "26-1-1"}}}}', "m.x.prices.us-east-1.from"),
        ('{"m.x": {"prices": {"us-east-1": {"input": "1", "sources": []}}}}', "m.x.prices.us-east-1.sources"),
        (
            '{"m.x": {"prices": {"us-east-1": {"input": "1", "sources": {"input": 1}}}}}',
            "m.x.prices.us-east-1.sources",
        ),
        ('{"m.x": {"prices": {"us-east-1": {"input": "1", "history": {}}}}}', "m.x.prices.us-east-1.history"),
        (
            '{"m.x": {"prices": {"us-east-1": {"input": "1", "history": [{}]}}}}',
            r"m.x.prices.us-east-1.history[0].input",
        ),
        ('{"m.x": {"prices": []}}', "m.x.prices"),
        ('{"m.x": {"profile_prices": []}}', "m.x.profile_prices"),
        ('{"m.x": {"profile_prices": {"global": []}}}', "m.x.profile_prices.global"),
        (
            '{"m.x": {"profile_prices": {"global": {"r": {"output": "1"}}}}}',
            "m.x.profile_prices.global.r.input",
        ),
        ('{"m.x": {"kind": "audio"}}', "m.x.kind"),
        ('{"m.x": {"kind": "text", "api": "cohere-embed"}}', "m.x.api"),
        ('{"m.x": {"kind": "embedding", "api": "converse"}}', "m.x.api"),
        ('{"m.x": {"kind": "embedding"}}', "m.x.api"),
        ('{"m.x": {"kind": "image", "api": "converse"}}', "m.x.api"),
        ('{"m.x": {"billing": "per-hug"}}', "m.x.billing"),
        ('{"m.x": {"max_tokens": 0}}', "m.x.max_tokens"),
        ('{"m.x": {"max_tokens": true}}', "m.x.max_tokens"),
        ('{"m.x": {"long_context_threshold": 0}}', "m.x.long_context_threshold"),
        ('{"m.x": {"long_context_threshold": "200000"}}', "m.x.long_context_threshold"),
        ('{"m.x": {"lifecycle": []}}', "m.x.lifecycle"),
        ('{"m.x": {"lifecycle": {"legacy": "soon"}}}', "m.x.lifecycle.legacy"),
        ('{"m.x": {"lifecycle": {"end_of_life": "2026-02-30"}}}', "m.x.lifecycle.end_of_life"),
        ('{"m.x": {"profile_only": []}}', "m.x.profile_only"),
        ('{"m.x": {"profile_only": {"us-east-1": []}}}', "m.x.profile_only.us-east-1"),
        ('{"m.x": {"profile_only": {"us-east-1": "us"}}}', "m.x.profile_only.us-east-1"),
        ('{"m.x": {"profile_only": {"us-east-1": [""]}}}', "m.x.profile_only.us-east-1"),
        ('{"m.x": []}', "m.x"),
        ('{"application_profiles": []}', "application_profiles"),
        ('{"application_profiles": {"arn:aws:bedrock:x": "m"}}', "application_profiles.arn:aws:bedrock:x"),
        (
            json.dumps({"application_profiles": {APP_ARN: ""}}),
            "must name the model id",
        ),
        (
            json.dumps({"application_profiles": {APP_ARN: "acme.x"}}),
            "unknown model acme.x",
        ),
    ],
)
def test_bad_overrides_fail_naming_the_key(overrides, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        load_catalog(overrides)


def test_model_defaults():
    model = Catalog({"models": {"m.x": {}, "m.e": {"kind": "embedding", "api": "titan-embed-v2"}}}).models
    assert (model["m.x"].kind, model["m.x"].api, model["m.x"].max_tokens, model["m.x"].billing) == (
        "text",
        "converse",
        4096,
        "tokens",
    )
    assert model["m.x"].label == "m.x" and model["m.x"].long_context_threshold is None
    assert (
        model["m.x"].lifecycle.legacy,
        model["m.x"].lifecycle.end_of_life,
        model["m.x"].lifecycle.successor,
    ) == ("", "", "")
    assert model["m.x"].lifecycle.status("2026-01-01") == "active" and model["m.x"].profile_only == {}
    assert model["m.e"].max_tokens is None


def test_every_documented_prefix_resolves_and_the_longest_wins():
    catalog = Catalog({"models": {"a.m": {}, "us.m": {}}})
    for prefix in ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "in.", "us-gov.", "global."):
        assert catalog.split(prefix + "a.m") == (prefix[:-1], "a.m")
    assert catalog.split("us.m") == ("", "us.m")  # an exact id is never split
    assert catalog.split("us-gov.a.m") == ("us-gov", "a.m")


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


def test_large_sums_stay_exact():
    catalog = load_catalog()
    quote = catalog.price_for("amazon.nova-micro-v1:0", "us-east-1", "2026-11-26")
    tokens = 987_654_321_987
    cost = catalog.costs(quote, tokens, 0, 0, 0).input
    assert cost == Decimal(tokens) * Decimal("0.035") / Decimal(1_000_000)
    assert money.money_str(cost) == "34567.901269545"


def test_catalog_level_prefixes_and_application_profiles_are_read():
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zz9"
    catalog = Catalog(
        {
            "profile_prefixes": ["zz."],
            "application_profiles": {arn: "zz.a.m"},
            "models": {"a.m": {"label": "A"}},
        }
    )
    assert catalog.split("zz.a.m") == ("zz", "a.m")
    assert catalog.split("us.a.m") == ("", "us.a.m")  # only the catalog's own prefixes
    assert catalog.split("acme.x") == ("", "acme.x")
    assert catalog.resolve(arn).label == "A" and catalog.split(arn) == ("zz", "a.m")


def test_quotes_say_which_region_and_scope_they_are_for():
    catalog = small(prices={"r": period()}, profile_prices={"global": {"r": period(input="0.0005")}})
    assert (
        catalog.price_for("global.m.x", "r", "2026-01-01").scope,
        catalog.price_for("us.m.x", "r", "2026-01-01").scope,
    ) == (
        "global",
        "",
    )
    missing = catalog.price_for("global.m.x", "other", "2026-01-01")
    assert (missing.region, missing.scope, missing.missing, missing.unpriced) == ("other", "", True, False)
    unknown = catalog.price_for("acme.x", "r", "2026-01-01")
    assert (unknown.region, unknown.scope, unknown.price) == ("", "", None)


def test_every_field_of_a_model_is_read():
    raw = {
        "label": "Label",
        "kind": "text",
        "api": "converse",
        "max_tokens": 1,
        "long_context_threshold": 1,
        "billing": "request",
        "lifecycle": {"legacy": "2026-01-01", "end_of_life": "2026-02-01", "successor": "b.y"},
        "profile_only": {"r": ["us", "global"]},
        "prices": {"r": {**period(cache_write="0.003"), "as_of": "2025-05-05"}},
    }
    model = Catalog({"models": {"m.x": raw}}).models["m.x"]
    assert (model.label, model.max_tokens, model.long_context_threshold, model.billing) == (
        "Label",
        1,
        1,
        "request",
    )
    assert (model.lifecycle.legacy, model.lifecycle.end_of_life, model.lifecycle.successor) == (
        "2026-01-01",
        "2026-02-01",
        "b.y",
    )
    assert model.profile_only == {"r": ("us", "global")}
    (price,) = model.prices["r"]
    assert price.effective == "2025-05-05"  # a hand-written period may say as_of
    assert (price.input, price.output, price.cache_write, price.cache_read) == (
        Decimal("0.001"),
        Decimal("0.002"),
        Decimal("0.003"),
        None,
    )
    assert small(prices={"r": {"input": "1"}}).models["m.x"].prices["r"][0].output == 0


@pytest.mark.parametrize("value", [20260101, ["2026-01-01"], "2026-1-01"])
def test_a_date_that_is_not_a_date_string_is_refused(value):
    with pytest.raises(ConfigError, match=r"catalog\.m\.x\.prices\.r\.from: must be a date"):
        small(prices={"r": {**period(), "from": value}})
