"""The catalog's validation (schema 2), field by field, and its defaults, on catalogs written in the
test: every message is compared whole, every value expected is written or computed here."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from token_profiler.errors import ConfigError
from token_profiler.prices import (
    UNPRICED,
    Catalog,
    Quote,
    load_catalog,
    parse_overrides,
    price_columns,
    price_from_columns,
)

pytestmark = pytest.mark.unit

M = "acme.model-v1:0"
W = f"catalog.{M}"
PRICE = {"input": "0.001", "output": "0.002"}
BAD_API = f"{W}.api: must be one of converse, titan-embed-v1, titan-embed-v2, cohere-embed and match kind"
NOT_A_PRICE = "a price must be an object with input/output"
ARN = "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/abc123"
# Every rate field a period may hold: tier prefix + kind, written out rather than imported.
KINDS = ["input", "output", "cache_read", "cache_write", "cache_write_1h"]
PREFIXES = {
    "standard": "",
    "long_context": "long_",
    "batch": "batch_",
    "flex": "flex_",
    "priority": "priority_",
}
ALL_RATES = [prefix + kind for prefix in PREFIXES.values() for kind in KINDS]


def catalog_of(model: dict, **raw) -> Catalog:
    return Catalog({"models": {M: model}, **raw})


def refusal(model: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        catalog_of(model)
    return str(caught.value)


def test_a_period_without_input_is_refused_wherever_it_is():
    no_input = {"output": "0.002"}
    assert refusal({"prices": {"us-east-1": no_input}}) == f"{W}.prices.us-east-1.input: missing"
    profile = {"profile_prices": {"eu": {"eu-west-1": no_input}}}
    assert refusal(profile) == f"{W}.profile_prices.eu.eu-west-1.input: missing"
    history = {**PRICE, "from": "2026-03-01", "history": [{**PRICE, "from": "2026-01-01"}, no_input]}
    assert refusal({"prices": {"r": history}}) == f"{W}.prices.r.history[1].input: missing"


def test_output_is_optional_and_an_absent_rate_is_not_a_zero_rate():
    (price,) = catalog_of({"prices": {"r": {"input": "0.001"}}}).models[M].prices["r"]
    assert price.rates == {"input": Decimal("0.001")}
    assert price.output == Decimal(0)
    assert (price.cache_read, price.cache_write) == (None, None)


@pytest.mark.parametrize("field", ALL_RATES)
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0.5, "must be a decimal string, not float"),
        (True, "must be a decimal string, not bool"),
        ("a lot", "is not a decimal number: 'a lot'"),
        ("-0.1", "must be a finite number >= 0: '-0.1'"),
        ("NaN", "must be a finite number >= 0: 'NaN'"),
    ],
)
def test_every_rate_field_is_checked(field, value, problem):
    price = {**PRICE, field: value}
    assert refusal({"prices": {"us-east-1": price}}) == f"{W}.prices.us-east-1.{field} {problem}"


def test_every_rate_field_is_read_with_its_own_value():
    raw = {field: f"0.{n + 1:03d}" for n, field in enumerate(ALL_RATES)}
    (price,) = catalog_of({"prices": {"r": raw}}).models[M].prices["r"]
    assert price.rates == {field: Decimal(f"0.{n + 1:03d}") for n, field in enumerate(ALL_RATES)}
    assert (price.input, price.output, price.cache_read, price.cache_write) == (
        Decimal("0.001"),
        Decimal("0.002"),
        Decimal("0.003"),
        Decimal("0.004"),
    )
    ignored = catalog_of({"prices": {"r": {**PRICE, "gold_input": "9"}}}).models[M].prices["r"][0]
    assert ignored.rates == {"input": Decimal("0.001"), "output": Decimal("0.002")}


def test_the_notes_of_a_period_are_kept():
    one_source = {**PRICE, "cache_read": "0.0001", "source": "contract 7", "as_of": "2026-11-01"}
    (price,) = catalog_of({"prices": {"r": one_source}}).models[M].prices["r"]
    assert price.sources == {"input": "contract 7", "output": "contract 7", "cache_read": "contract 7"}
    assert price.effective == "2026-11-01"
    per_rate = {
        **PRICE,
        "source": "page",
        "sources": {"input": "SKU1 v2"},
        "from": "2026-02-02",
        "as_of": "x",
    }
    (price,) = catalog_of({"prices": {"r": per_rate}}).models[M].prices["r"]
    assert price.sources == {"input": "SKU1 v2", "output": "page"}  # a rate's own source wins
    assert price.effective == "2026-02-02"  # "from" wins over "as_of"
    (bare,) = catalog_of({"prices": {"r": PRICE}}).models[M].prices["r"]
    assert (bare.sources, bare.effective) == ({}, "")


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("from", 20260101, "must be a date YYYY-MM-DD"),
        ("from", "2026-1-01", "must be a date YYYY-MM-DD"),
        ("from", "2026-01-01T00", "must be a date YYYY-MM-DD"),
        ("from", "x2026-01-01", "must be a date YYYY-MM-DD"),
        ("from", "2026-02-30", "not a calendar date: 2026-02-30"),
        ("as_of", "2026-13-01", "not a calendar date: 2026-13-01"),
    ],
)
def test_a_period_date_is_checked(field, value, problem):
    assert refusal({"prices": {"r": {**PRICE, field: value}}}) == f"{W}.prices.r.from: {problem}"


@pytest.mark.parametrize(
    ("sources"),
    [["SKU"], {"input": 1}, "SKU"],
)
def test_sources_must_be_an_object_of_strings(sources):
    assert refusal({"prices": {"r": {**PRICE, "sources": sources}}}) == (
        f"{W}.prices.r.sources: must be an object of strings"
    )


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ({}, f"{W}.prices.r.history: must be a list of earlier periods"),
        ("old", f"{W}.prices.r.history: must be a list of earlier periods"),
        (["0.001"], f"{W}.prices.r.history[0]: {NOT_A_PRICE}"),
        (
            [{**PRICE, "from": "2026-06-10"}],
            f"{W}.prices.r.history: periods must be in order of their 'from' dates",
        ),
        (
            [{**PRICE, "from": "2026-06-11"}],
            f"{W}.prices.r.history: periods must be in order of their 'from' dates",
        ),
        (
            [{**PRICE, "from": "2026-01-01"}, PRICE],
            f"{W}.prices.r.history: periods must be in order of their 'from' dates",
        ),
    ],
)
def test_the_history_is_checked(history, message):
    assert refusal({"prices": {"r": {**PRICE, "from": "2026-06-10", "history": history}}}) == message


def test_an_undated_first_period_applies_until_the_first_dated_one():
    entry = {"input": "0.003", "from": "2026-06-10", "history": [{"input": "0.001"}]}
    catalog = catalog_of({"prices": {"r": entry}})
    assert [p.effective for p in catalog.models[M].prices["r"]] == ["", "2026-06-10"]
    assert catalog.price_for(M, "r", "2000-01-01").price.input == Decimal("0.001")
    assert catalog.price_for(M, "r", "2026-06-09").price.input == Decimal("0.001")
    assert catalog.price_for(M, "r", "2026-06-10").price.input == Decimal("0.003")
    assert catalog.price_for(M, "r", "2026-06-10").changed_on_day is True
    assert catalog.price_for(M, "r", "2026-06-11").changed_on_day is False


def test_a_current_period_after_an_undated_one_must_be_dated():
    assert refusal({"prices": {"r": {"input": "0.003", "history": [{"input": "0.001"}]}}}) == (
        f"{W}.prices.r.history: periods must be in order of their 'from' dates"
    )


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("text", f"{W}: must be an object"),
        (["text"], f"{W}: must be an object"),
        ({"kind": "audio"}, f"{W}.kind: must be one of text, embedding, image, video, rerank"),
        ({"api": "invoke"}, BAD_API),
        ({"kind": "text", "api": "cohere-embed"}, BAD_API),
        ({"kind": "text", "api": ""}, BAD_API),
        ({"kind": "embedding"}, BAD_API),
        ({"kind": "embedding", "api": "converse"}, BAD_API),
        ({"kind": "image", "api": "converse"}, BAD_API),
        ({"kind": "image", "api": "titan-embed-v2"}, BAD_API),
        ({"kind": "rerank", "api": "cohere-embed"}, BAD_API),
        ({"billing": "per-hug"}, f"{W}.billing: must be one of tokens, image, video-second, query, request"),
        ({"max_tokens": 0}, f"{W}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": -5}, f"{W}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": True}, f"{W}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": 10.0}, f"{W}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": "100"}, f"{W}.max_tokens: must be a positive integer or null"),
        (
            {"output_tokens_per_second": 0},
            f"{W}.output_tokens_per_second: must be a positive number or absent",
        ),
        (
            {"output_tokens_per_second": -1.5},
            f"{W}.output_tokens_per_second: must be a positive number or absent",
        ),
        (
            {"output_tokens_per_second": True},
            f"{W}.output_tokens_per_second: must be a positive number or absent",
        ),
        (
            {"output_tokens_per_second": "50"},
            f"{W}.output_tokens_per_second: must be a positive number or absent",
        ),
        ({"long_context_threshold": 0}, f"{W}.long_context_threshold: must be a positive integer or null"),
        ({"long_context_threshold": True}, f"{W}.long_context_threshold: must be a positive integer or null"),
        ({"long_context_threshold": 2.0}, f"{W}.long_context_threshold: must be a positive integer or null"),
        ({"long_context_threshold": "2"}, f"{W}.long_context_threshold: must be a positive integer or null"),
        ({"prices": ["us-east-1"]}, f"{W}.prices: must be an object keyed by region"),
        ({"prices": {"us-east-1": "0.001"}}, f"{W}.prices.us-east-1: {NOT_A_PRICE}"),
        ({"profile_prices": []}, f"{W}.profile_prices: must be an object keyed by geography"),
        ({"profile_prices": {"eu": "x"}}, f"{W}.profile_prices.eu: must be an object keyed by region"),
        ({"profile_prices": {"eu": {"eu-west-1": 3}}}, f"{W}.profile_prices.eu.eu-west-1: {NOT_A_PRICE}"),
        ({"lifecycle": []}, f"{W}.lifecycle: must be an object"),
        ({"lifecycle": {"legacy": "soon"}}, f"{W}.lifecycle.legacy: must be a date YYYY-MM-DD"),
        (
            {"lifecycle": {"end_of_life": "2026-02-30"}},
            f"{W}.lifecycle.end_of_life: not a calendar date: 2026-02-30",
        ),
        (
            {"profile_only": ["us"]},
            f"{W}.profile_only: must be an object: region -> list of profile geographies",
        ),
        ({"profile_only": {"r": []}}, f"{W}.profile_only.r: must be a non-empty list of geographies"),
        ({"profile_only": {"r": "us"}}, f"{W}.profile_only.r: must be a non-empty list of geographies"),
        ({"profile_only": {"r": ["us", ""]}}, f"{W}.profile_only.r: must be a non-empty list of geographies"),
        ({"profile_only": {"r": ["us", 7]}}, f"{W}.profile_only.r: must be a non-empty list of geographies"),
    ],
)
def test_every_model_field_is_checked(model, message):
    assert refusal(model) == message


@pytest.mark.parametrize(
    ("kind", "api"),
    [
        ("text", "converse"),
        ("embedding", "titan-embed-v1"),
        ("embedding", "titan-embed-v2"),
        ("embedding", "cohere-embed"),
        ("image", ""),
        ("video", ""),
        ("rerank", ""),
    ],
)
def test_each_kind_takes_its_api(kind, api):
    model = catalog_of({"kind": kind, "api": api}).models[M]
    assert (model.kind, model.api) == (kind, api)


@pytest.mark.parametrize("kind", ["image", "video", "rerank"])
def test_a_kind_without_an_api_needs_none(kind):
    model = catalog_of({"kind": kind}).models[M]
    assert (model.kind, model.api, model.max_tokens) == (kind, "", None)


@pytest.mark.parametrize("billing", ["tokens", "image", "video-second", "query", "request"])
def test_every_billing_unit_is_accepted(billing):
    assert catalog_of({"billing": billing}).models[M].billing == billing


def test_defaults_of_a_text_model():
    model = catalog_of({"prices": {"us-east-1": PRICE}}).models[M]
    assert (model.model_id, model.label, model.kind, model.api, model.max_tokens, model.billing) == (
        M,
        M,
        "text",
        "converse",
        4096,
        "tokens",
    )
    assert (model.profile_prices, model.profile_only, model.long_context_threshold) == ({}, {}, None)
    assert model.output_tokens_per_second is None
    assert (model.lifecycle.legacy, model.lifecycle.end_of_life, model.lifecycle.successor) == ("", "", "")


def test_defaults_of_an_embedding_model():
    model = catalog_of({"kind": "embedding", "api": "titan-embed-v2", "label": "Embed"}).models[M]
    assert (model.label, model.kind, model.api, model.max_tokens) == (
        "Embed",
        "embedding",
        "titan-embed-v2",
        None,
    )
    assert model.prices == {}


@pytest.mark.parametrize("max_tokens", [1, 2, 200_000, None])
def test_accepted_max_tokens(max_tokens):
    assert catalog_of({"max_tokens": max_tokens}).models[M].max_tokens == max_tokens


@pytest.mark.parametrize(("rate", "read"), [(1, 1.0), (0.25, 0.25), (1e-9, 1e-9), (None, None)])
def test_accepted_output_speeds_are_floats(rate, read):
    got = catalog_of({"output_tokens_per_second": rate}).models[M].output_tokens_per_second
    assert got == read and type(got) is type(read)


@pytest.mark.parametrize("threshold", [1, 200_000, None])
def test_accepted_long_context_thresholds(threshold):
    assert catalog_of({"long_context_threshold": threshold}).models[M].long_context_threshold == threshold


def test_lifecycle_is_read_and_its_status_changes_on_its_first_days():
    life = {"legacy": "2026-03-01", "end_of_life": "2026-09-10", "successor": "acme.next-v1:0"}
    lifecycle = catalog_of({"lifecycle": life}).models[M].lifecycle
    assert (lifecycle.legacy, lifecycle.end_of_life, lifecycle.successor) == tuple(life.values())
    days = ["2026-02-28", "2026-03-01", "2026-09-09", "2026-09-10", "2027-01-01"]
    assert [lifecycle.status(d) for d in days] == ["active", "legacy", "legacy", "end-of-life", "end-of-life"]
    only_end = catalog_of({"lifecycle": {"end_of_life": "2026-09-10", "successor": None}}).models[M].lifecycle
    assert only_end.successor == ""
    assert [only_end.status(d) for d in ("2026-09-09", "2026-09-10")] == ["active", "end-of-life"]


def test_no_default_region_a_region_without_a_price_is_flagged():
    raw = {
        "default_region": "us-east-1",  # schema 1 priced unknown Regions here; schema 2 never does
        "models": {M: {"prices": {"us-east-1": PRICE, "eu-west-1": {"input": "5", "output": "6"}}}},
    }
    catalog = Catalog(raw)
    assert not hasattr(catalog, "default_region")
    assert catalog.price_for(M, "ap-south-1", "2026-05-05") == Quote(
        price=None, region="ap-south-1", scope="", missing=True, unpriced=False
    )
    eu = catalog.price_for(M, "eu-west-1", "2026-05-05")
    assert (eu.price.input, eu.region, eu.scope, eu.missing, eu.unpriced) == (
        Decimal(5),
        "eu-west-1",
        "",
        False,
        False,
    )


def test_default_prefixes_and_catalog_prefixes():
    catalog = catalog_of({"prices": {"us-east-1": PRICE}})
    for geo in ("us", "eu", "apac", "jp", "au", "ca", "in", "us-gov", "global"):
        assert catalog.split(f"{geo}.{M}") == (geo, M)
        assert catalog.resolve(f"{geo}.{M}").model_id == M
    assert catalog.prefixes[0] == "us-gov."  # the longest first, so us-gov. is never read as us.
    assert catalog.split(f"mx.{M}") == ("", f"mx.{M}")
    other = catalog_of({"prices": {"us-east-1": PRICE}}, profile_prefixes=["eu.", "eu-x."])
    assert other.prefixes == ("eu-x.", "eu.")
    assert other.split(f"eu-x.{M}") == ("eu-x", M)
    assert other.split(f"us.{M}") == ("", f"us.{M}")
    assert other.resolve(f"us.{M}") is None
    assert Catalog({}).models == {}


def test_a_plain_or_unknown_id_has_no_geography():
    catalog = catalog_of({"prices": {"us-east-1": PRICE}})
    assert catalog.split(M) == ("", M)
    assert catalog.split("other.model") == ("", "other.model")
    assert catalog.resolve("other.model") is None
    assert catalog.price_for("us.other.model", "us-east-1", "2026-01-01") is UNPRICED
    assert (UNPRICED.price, UNPRICED.region, UNPRICED.scope, UNPRICED.missing, UNPRICED.unpriced) == (
        None,
        "",
        "",
        False,
        True,
    )


def test_a_profile_with_its_own_price_uses_it_else_the_in_region_price():
    own = {"input": "0.0005", "output": "0.001", "from": "2026-04-01"}
    catalog = catalog_of({"prices": {"r": PRICE}, "profile_prices": {"global": {"r": own}}})
    glob = catalog.price_for(f"global.{M}", "r", "2026-04-01")
    assert (glob.price.input, glob.scope, glob.missing, glob.changed_on_day) == (
        Decimal("0.0005"),
        "global",
        False,
        False,
    )
    us = catalog.price_for(f"us.{M}", "r", "2026-04-01")
    assert (us.price.input, us.scope) == (Decimal("0.001"), "")
    before = catalog.price_for(f"global.{M}", "r", "2026-03-31")  # the profile's own price, not yet
    assert before == Quote(price=None, region="r", scope="global", missing=True, unpriced=False)
    elsewhere = catalog.price_for(f"global.{M}", "r2", "2026-04-01")
    assert elsewhere == Quote(price=None, region="r2", scope="", missing=True, unpriced=False)


def test_a_priced_quote_is_not_flagged_and_is_cached():
    catalog = catalog_of({"prices": {"us-east-1": PRICE}})
    exact = catalog.price_for(M, "us-east-1", "2026-01-01")
    assert (exact.unpriced, exact.missing, exact.region) == (False, False, "us-east-1")
    missing = catalog.price_for(M, "eu-west-1", "2026-01-01")
    assert (missing.unpriced, missing.missing, missing.price) == (False, True, None)
    assert catalog.price_for(M, "us-east-1", "2026-01-01") is exact
    assert catalog.price_for(M, "eu-west-1", "2026-01-01") is missing
    assert catalog.price_for(M, "us-east-1", "2026-01-02") is not exact
    assert catalog.price_for(f"us.{M}", "us-east-1", "2026-01-01") is not exact


def test_a_quote_without_a_day_is_for_today_in_utc():
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    entry = {"input": "0.002", "from": tomorrow, "history": [{"input": "0.001", "from": today.isoformat()}]}
    catalog = catalog_of({"prices": {"r": entry}})
    quote = catalog.quote(M, "r")
    assert (quote.price.input, quote.changed_on_day) == (Decimal("0.001"), False)
    assert quote is catalog.price_for(M, "r", today.isoformat())
    assert catalog.quote(M, "r", tomorrow).price.input == Decimal("0.002")


def test_errors_name_the_overrides_or_the_catalog():
    raw = {"models": {M: {"prices": {"us-east-1": PRICE}}, "acme.broken-v1:0": {"kind": "audio"}}}
    with pytest.raises(ConfigError) as caught:
        Catalog(raw, {M: {"label": "renamed"}})
    assert (
        str(caught.value)
        == "catalog.acme.broken-v1:0.kind: must be one of text, embedding, image, video, rerank"
    )
    with pytest.raises(ConfigError) as caught:
        Catalog({"models": {M: {}}}, {M: {"max_tokens": 0}})
    assert str(caught.value) == f"PRICE_OVERRIDES.{M}.max_tokens: must be a positive integer or null"
    with pytest.raises(ConfigError) as caught:
        Catalog({"models": {}}, {"acme.new-v1:0": {"prices": {"r": {"output": "1"}}}})
    assert str(caught.value) == "PRICE_OVERRIDES.acme.new-v1:0.prices.r.input: missing"
    with pytest.raises(ConfigError) as caught:
        load_catalog('["not", "an", "object"]')
    assert str(caught.value) == "PRICE_OVERRIDES: must be a JSON object keyed by model id"


def test_overrides_merge_into_the_catalog_without_changing_it():
    raw = {"models": {M: {"label": "A", "prices": {"r1": PRICE, "r2": PRICE}}}}
    before = json.dumps(raw, sort_keys=True)
    catalog = Catalog(raw, {M: {"prices": {"r2": {"input": "0.5"}}, "lifecycle": {"legacy": "2026-01-01"}}})
    model = catalog.models[M]
    assert model.label == "A"
    assert model.prices["r1"][0].rates == {"input": Decimal("0.001"), "output": Decimal("0.002")}
    assert model.prices["r2"][0].rates == {"input": Decimal("0.5"), "output": Decimal("0.002")}
    assert model.lifecycle.legacy == "2026-01-01"
    assert json.dumps(raw, sort_keys=True) == before
    replaced = Catalog({"models": {M: {"prices": "broken"}}}, {M: {"prices": {"r": PRICE}}})
    assert list(replaced.models[M].prices) == ["r"]


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        (["x"], "PRICE_OVERRIDES.application_profiles: must be an object: ARN -> model id"),
        (
            {"arn:aws:bedrock:x": M},
            "PRICE_OVERRIDES.application_profiles.arn:aws:bedrock:x: "
            "not an application inference profile ARN",
        ),
        (
            {ARN + "/x": M},
            f"PRICE_OVERRIDES.application_profiles.{ARN}/x: not an application inference profile ARN",
        ),
        ({ARN: ""}, f"PRICE_OVERRIDES.application_profiles.{ARN}: must name the model id it calls"),
        ({ARN: 7}, f"PRICE_OVERRIDES.application_profiles.{ARN}: must name the model id it calls"),
        (
            {ARN: "eu.acme.other-v1:0"},
            f"PRICE_OVERRIDES.application_profiles.{ARN}: unknown model eu.acme.other-v1:0",
        ),
    ],
)
def test_application_profiles_are_checked(profiles, message):
    with pytest.raises(ConfigError) as caught:
        Catalog({"models": {M: {}}}, {"application_profiles": profiles})
    assert str(caught.value) == message


def test_an_application_profile_prices_as_the_id_it_calls_and_is_never_a_bare_id():
    catalog = Catalog(
        {"models": {M: {"prices": {"r": PRICE}, "profile_only": {"r": ["eu", "global"]}}}},
        {"application_profiles": {ARN: f"eu.{M}"}},
    )
    assert catalog.application_profiles == {ARN: f"eu.{M}"}
    assert catalog.split(ARN) == ("eu", M) and catalog.resolve(ARN).model_id == M
    assert catalog.price_for(ARN, "r", "2026-01-01").price.input == Decimal("0.001")
    assert catalog.profile_for(M, "r") == (f"eu.{M}", f"global.{M}")
    assert catalog.profile_for(ARN, "r") == ()
    assert catalog.profile_for(f"eu.{M}", "r") == ()
    assert catalog.profile_for(M, "r2") == ()
    assert catalog.profile_for("acme.unknown", "r") == ()
    gov = "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:application-inference-profile/Z9"
    assert Catalog({"models": {M: {}}}, {"application_profiles": {gov: M}}).split(gov) == ("", M)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "PRICE_OVERRIDES: must be a JSON object keyed by model id"),
        ('"x"', "PRICE_OVERRIDES: must be a JSON object keyed by model id"),
        ("{x", "PRICE_OVERRIDES: not valid JSON (Expecting property name enclosed in double quotes)"),
    ],
)
def test_overrides_must_be_an_object(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_overrides(text)
    assert str(caught.value) == message


def test_empty_overrides_are_none():
    assert parse_overrides(None) is None
    assert parse_overrides("") is None
    assert parse_overrides("  ") is None
    assert parse_overrides(json.dumps({M: {}})) == {M: {}}


def exact(tokens: int, rate: str) -> Decimal:
    """tokens / 1000 × rate, computed with fractions and checked to be a finite decimal."""
    value = Fraction(tokens) * Fraction(rate) / 1000
    text = Decimal(value.numerator) / Decimal(value.denominator)
    assert Fraction(text) == value
    return text


@pytest.mark.parametrize("tier", list(PREFIXES))
def test_each_tier_bills_at_its_own_rates(tier):
    rates = {field: f"0.{n + 1:04d}3" for n, field in enumerate(ALL_RATES)}
    catalog = catalog_of({"prices": {"r": rates}})
    quote = catalog.price_for(M, "r", "2026-01-01")
    costs = catalog.costs(quote, 1001, 2003, 3007, 5011, 1013, tier=tier)
    prefix = PREFIXES[tier]
    want = (
        exact(1001, rates[prefix + "input"]),
        exact(2003, rates[prefix + "output"]),
        exact(3007, rates[prefix + "cache_read"]),
        exact(5011 - 1013, rates[prefix + "cache_write"]) + exact(1013, rates[prefix + "cache_write_1h"]),
    )
    assert (costs.input, costs.output, costs.cache_read, costs.cache_write) == want
    assert costs.total == sum(want) and costs.missing == ()


def test_a_count_without_a_rate_is_reported_never_priced_at_another_tier():
    catalog = catalog_of({"prices": {"r": {"input": "0.001", "output": "0.002", "cache_read": "0.0001"}}})
    quote = catalog.price_for(M, "r", "2026-01-01")
    flex = catalog.costs(quote, 10, 20, 30, 40, 5, tier="flex")
    assert (flex.total, flex.missing) == (
        Decimal(0),
        ("flex_input", "flex_output", "flex_cache_read", "flex_cache_write", "flex_cache_write_1h"),
    )
    standard = catalog.costs(quote, 10, 0, 0, 40, 40)
    assert (standard.input, standard.cache_write, standard.missing) == (
        Decimal("0.00001"),
        Decimal(0),
        ("cache_write_1h",),
    )
    assert catalog.costs(quote, 0, 0, 0, 0, tier="batch").missing == ()  # no tokens, nothing missing
    none = catalog.costs(catalog.price_for(M, "r9", "2026-01-01"), 10, 20, 30, 40, 5, tier="priority")
    assert (none.input, none.output, none.cache_read, none.cache_write, none.missing) == (0, 0, 0, 0, ())


def test_precision_is_kept_from_the_catalog_to_the_cost():
    rate = "0.000000000123456789"
    # the total has 34 significant digits: beyond the 28 of Decimal's default context
    catalog = catalog_of({"prices": {"r": {"input": rate, "output": "12345.6789012345678901"}}})
    price = catalog.price_for(M, "r", "2026-01-01").price
    assert price.input == Decimal(rate) and str(price.output) == "12345.6789012345678901"
    costs = catalog.costs(catalog.price_for(M, "r", "2026-01-01"), 987_654_321_987, 123_456_789_123, 0, 0)
    assert Fraction(costs.input) == Fraction(987_654_321_987) * Fraction(rate) / 1000
    assert Fraction(costs.output) == Fraction(123_456_789_123) * Fraction("12345.6789012345678901") / 1000
    assert Fraction(costs.total) == Fraction(costs.input) + Fraction(costs.output)


def test_a_row_records_the_rates_of_its_tier_and_reads_them_back():
    raw = {
        "input": "0.001",
        "cache_read": "0.0001",
        "flex_input": "0.0005",
        "flex_output": "0.001",
        "from": "2026-02-01",
    }
    (price,) = catalog_of({"prices": {"r": raw}}).models[M].prices["r"]
    assert price_columns(price) == {
        "price_input": Decimal("0.001"),
        "price_cache_read": Decimal("0.0001"),
        "price_tier": "standard",
        "price_as_of": "2026-02-01",
    }
    flex = price_columns(price, "flex")
    assert flex == {
        "price_input": Decimal("0.0005"),
        "price_output": Decimal("0.001"),
        "price_tier": "flex",
        "price_as_of": "2026-02-01",
    }
    stored = {key: str(value) for key, value in flex.items()}
    assert price_from_columns(stored) == (
        "flex",
        {"flex_input": Decimal("0.0005"), "flex_output": Decimal("0.001")},
        "2026-02-01",
    )


def test_a_row_without_a_usable_record_of_its_price_reads_as_none():
    assert price_from_columns({"price_input": "0.001"}) == ("standard", {"input": Decimal("0.001")}, "")
    assert price_from_columns({"price_output": "0.001"}) is None  # no input rate: not a record
    assert price_from_columns({"price_input": "0.001", "price_tier": "gold"}) is None
    assert price_from_columns({"price_input": "lots"}) is None
    assert price_from_columns({"price_input": "0.001", "price_cache_write_1h": "-1"}) is None
    row = {"price_input": "1", "price_cache_write": "2", "price_cache_write_1h": "3", "price_tier": "batch"}
    assert price_from_columns(row) == (
        "batch",
        {"batch_input": Decimal(1), "batch_cache_write": Decimal(2), "batch_cache_write_1h": Decimal(3)},
        "",
    )
