"""The catalog's validation, field by field, and its defaults, on catalogs written in the test."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from token_profiler.errors import ConfigError
from token_profiler.prices import Catalog, parse_overrides

pytestmark = pytest.mark.unit

M = "acme.model-v1:0"
PRICE = {"input": "0.001", "output": "0.002"}
BAD_API = (
    f"catalog.{M}.api: must be one of converse, titan-embed-v1, titan-embed-v2, cohere-embed and match kind"
)
NOT_A_PRICE = "a price must be an object with input/output"


def catalog_of(model: dict, **raw) -> Catalog:
    return Catalog({"default_region": "us-east-1", "models": {M: model}, **raw})


def refusal(model: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        catalog_of(model)
    return str(caught.value)


@pytest.mark.parametrize("field", ["input", "output"])
def test_a_price_without_a_required_field_is_refused(field):
    price = {key: value for key, value in PRICE.items() if key != field}
    assert refusal({"prices": {"us-east-1": price}}) == f"catalog.{M}.prices.us-east-1.{field}: missing"
    profile = {"profile_prices": {"eu": {"eu-west-1": price}}}
    assert refusal(profile) == f"catalog.{M}.profile_prices.eu.eu-west-1.{field}: missing"


@pytest.mark.parametrize("field", ["input", "output", "cache_read", "cache_write"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0.5, "must be a decimal string, not float"),
        ("a lot", "is not a decimal number: 'a lot'"),
        ("-0.1", "must be a finite number >= 0: '-0.1'"),
    ],
)
def test_every_price_field_is_checked(field, value, problem):
    price = {**PRICE, field: value}
    assert refusal({"prices": {"us-east-1": price}}) == f"catalog.{M}.prices.us-east-1.{field} {problem}"


def test_cache_prices_default_to_zero_and_the_notes_are_kept():
    catalog = catalog_of({"prices": {"us-east-1": {**PRICE, "source": "price page", "as_of": "2026-11-01"}}})
    price = catalog.models[M].prices["us-east-1"]
    assert (price.input, price.output, price.cache_read, price.cache_write) == (
        Decimal("0.001"),
        Decimal("0.002"),
        Decimal(0),
        Decimal(0),
    )
    assert (price.source, price.as_of) == ("price page", "2026-11-01")
    bare = catalog_of({"prices": {"us-east-1": PRICE}}).models[M].prices["us-east-1"]
    assert (bare.source, bare.as_of) == ("", "")


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("text", f"catalog.{M}: must be an object"),
        ({"kind": "video"}, f"catalog.{M}.kind: must be one of text, embedding"),
        ({"api": "invoke"}, BAD_API),
        ({"kind": "text", "api": "cohere-embed"}, BAD_API),
        ({"kind": "embedding"}, BAD_API),
        ({"kind": "embedding", "api": "converse"}, BAD_API),
        ({"max_tokens": 0}, f"catalog.{M}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": -5}, f"catalog.{M}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": True}, f"catalog.{M}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": 10.0}, f"catalog.{M}.max_tokens: must be a positive integer or null"),
        ({"max_tokens": "100"}, f"catalog.{M}.max_tokens: must be a positive integer or null"),
        ({"prices": ["us-east-1"]}, f"catalog.{M}.prices: must be an object keyed by region"),
        ({"prices": {"us-east-1": "0.001"}}, f"catalog.{M}.prices.us-east-1: {NOT_A_PRICE}"),
        ({"profile_prices": []}, f"catalog.{M}.profile_prices: must be an object keyed by geography"),
        (
            {"profile_prices": {"eu": "x"}},
            f"catalog.{M}.profile_prices.eu: must be an object keyed by region",
        ),
        (
            {"profile_prices": {"eu": {"eu-west-1": 3}}},
            f"catalog.{M}.profile_prices.eu.eu-west-1: {NOT_A_PRICE}",
        ),
    ],
)
def test_every_model_field_is_checked(model, message):
    assert refusal(model) == message


def test_defaults_of_a_text_model():
    model = catalog_of({"prices": {"us-east-1": PRICE}}).models[M]
    assert (model.model_id, model.label, model.kind, model.api, model.max_tokens) == (
        M,
        M,
        "text",
        "converse",
        4096,
    )
    assert model.profile_prices == {}


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


def test_default_region_and_prefixes():
    raw = {"models": {M: {"prices": {"us-east-1": PRICE, "eu-west-1": {"input": "5", "output": "6"}}}}}
    catalog = Catalog(raw)
    assert catalog.default_region == "us-east-1"
    fallback = catalog.quote(M, "ap-south-1")
    assert (fallback.region, fallback.fallback, fallback.unpriced) == ("us-east-1", True, False)
    for geo in ("us", "eu", "apac", "global"):
        assert catalog.split(f"{geo}.{M}") == (geo, M)
        assert catalog.resolve(f"{geo}.{M}").model_id == M
    other = Catalog({**raw, "default_region": "eu-west-1", "profile_prefixes": ["eu."]})
    assert other.quote(M, "ap-south-1").price.input == Decimal(5)
    assert other.split(f"us.{M}") == ("", f"us.{M}")
    assert other.resolve(f"us.{M}") is None
    assert Catalog({}).models == {}


def test_a_plain_or_unknown_id_has_no_geography():
    catalog = catalog_of({"prices": {"us-east-1": PRICE}})
    assert catalog.split(M) == ("", M)
    assert catalog.split("other.model") == ("", "other.model")


def test_a_priced_quote_is_not_unpriced_and_is_cached():
    catalog = catalog_of({"prices": {"us-east-1": PRICE}})
    exact = catalog.quote(M, "us-east-1")
    assert exact.unpriced is False and exact.fallback is False
    fallback = catalog.quote(M, "eu-west-1")
    assert fallback.unpriced is False and fallback.fallback is True
    assert catalog.quote(M, "us-east-1") is exact
    assert catalog.quote(M, "eu-west-1") is fallback


def test_errors_name_the_overrides_or_the_catalog():
    raw = {"models": {M: {"prices": {"us-east-1": PRICE}}, "acme.broken-v1:0": {"kind": "video"}}}
    with pytest.raises(ConfigError, match=r"^catalog\.acme\.broken-v1:0\.kind: "):
        Catalog(raw, {M: {"label": "renamed"}})
    with pytest.raises(ConfigError, match=r"^PRICE_OVERRIDES\.acme\.model-v1:0\.max_tokens: "):
        Catalog({"models": {M: {}}}, {M: {"max_tokens": 0}})
    with pytest.raises(ConfigError) as caught:
        Catalog({"models": {}}, ["not", "an", "object"])
    assert str(caught.value) == "PRICE_OVERRIDES: must be a JSON object keyed by model id"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "PRICE_OVERRIDES: must be a JSON object keyed by model id"),
        ('"x"', "PRICE_OVERRIDES: must be a JSON object keyed by model id"),
    ],
)
def test_overrides_must_be_an_object(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_overrides(text)
    assert str(caught.value) == message


def test_empty_overrides_are_none():
    assert parse_overrides(None) is None
    assert parse_overrides("  ") is None
    assert parse_overrides(json.dumps({M: {}})) == {M: {}}
