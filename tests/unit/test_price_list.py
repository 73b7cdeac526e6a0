"""make prices against a fixture in the Price List's public format, and the catalog it builds.

The expected figures below are written by hand from tests/fixtures/pricelist/offer.json and
overrides.json (US$ per 1,000 tokens), never read from the catalog code, and every cost is worked
out here with fractions.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from botocore.stub import Stubber
from token_profiler.prices import Catalog

from scripts import prices as price_list
from scripts.prices.__main__ import main

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pricelist"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
MICRO = "amazon.nova-micro-v1:0"
LITE = "amazon.nova-lite-v1:0"
PRO = "amazon.nova-pro-v1:0"
LLAMA = "meta.llama3-3-70b-instruct-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
OFFER_VERSION = "20261001000000"

# (model, scope, region) -> rate field -> US$ per 1,000 tokens, from the fixture by hand
FIGURES = {
    (SONNET, "", "us-east-1"): {
        "input": "0.0033",
        "output": "0.0165",  # override sonnet-4-5-output
        "cache_read": "0.00033",
        "cache_write": "0.004125",
        "cache_write_1h": "0.0066",
        "long_input": "0.0066",
        "long_output": "0.02475",
    },
    (SONNET, "", "eu-west-3"): {"input": "0.00363", "output": "0.0165"},
    (SONNET, "global", "us-east-1"): {"input": "0.003", "output": "0.015", "cache_read": "0.0003"},
    (MICRO, "", "us-east-1"): {
        "input": "0.000035",
        "output": "0.00014",
        "cache_read": "0.00000875",  # 25% of input (override nova-cache-read)
        "batch_input": "0.0000175",
        "batch_output": "0.00007",
    },
    (MICRO, "", "us-west-2"): {"input": "0.000037", "output": "0.000148", "cache_read": "0.00000925"},
    (LITE, "", "us-east-1"): {"input": "0.00006", "output": "0.00024", "cache_read": "0.000015"},
    (PRO, "", "us-east-1"): {"input": "0.0008", "output": "0.0032", "cache_read": "0.0002"},
    (LLAMA, "", "us-east-1"): {
        "input": "0.00072",
        "output": "0.00072",  # published as 0.72 per 1M tokens
        "flex_input": "0.00036",
        "flex_output": "0.00036",
        "priority_input": "0.00126",
        "priority_output": "0.00126",
    },
    (TITAN, "", "us-east-1"): {"input": "0.00002"},
}
PREFIX = {
    "standard": "",
    "long_context": "long_",
    "batch": "batch_",
    "flex": "flex_",
    "priority": "priority_",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("catalog") / "catalog.json"
    assert main(fixture_args(target, FIXTURES / "offer.json")) == 0
    return json.loads(target.read_text())


def fixture_args(target: Path, offer: Path | None = None) -> list[str]:
    args = ["--models", str(FIXTURES / "models.json"), "--overrides", str(FIXTURES / "overrides.json")]
    args += ["--catalog", str(target)]
    return args + (["--offer-file", str(offer)] if offer else [])


@pytest.fixture
def catalog(built) -> Catalog:
    return Catalog(built, {"application_profiles": {ARN: "global." + SONNET}})


def expected(figures: dict[str, str] | None, tokens: tuple[int, ...], tier: str) -> tuple[Fraction, set]:
    """Cost and the rate fields with tokens but no figure, worked out from the hand-copied figures."""
    if figures is None:
        return Fraction(0), set()
    inp, out, read, write, write_1h = tokens
    parts = {"input": inp, "output": out, "cache_read": read, "cache_write": write - write_1h}
    parts["cache_write_1h"] = write_1h
    total = Fraction(0)
    missing = set()
    for kind, count in parts.items():
        if not count:
            continue
        field = PREFIX[tier] + kind
        if field in figures:
            total += count * Fraction(figures[field]) / 1000
        else:
            missing.add(field)
    return total, missing


# (model as called, Region, (input, output, cache read, cache write, of which 1 h), tier, figures key)
CASES = [
    (SONNET, "us-east-1", (1000, 500, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("us." + SONNET, "us-east-1", (1000, 500, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("global." + SONNET, "us-east-1", (1000, 500, 0, 0, 0), "standard", (SONNET, "global", "us-east-1")),
    (ARN, "us-east-1", (1000, 500, 0, 0, 0), "standard", (SONNET, "global", "us-east-1")),
    ("eu." + SONNET, "eu-west-3", (123, 456, 0, 0, 0), "standard", (SONNET, "", "eu-west-3")),
    (SONNET, "eu-west-3", (7, 1, 0, 0, 0), "standard", (SONNET, "", "eu-west-3")),
    ("global." + SONNET, "eu-west-3", (7, 1, 0, 0, 0), "standard", (SONNET, "", "eu-west-3")),
    ("jp." + SONNET, "us-east-1", (10, 20, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("au." + SONNET, "us-east-1", (10, 20, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("apac." + SONNET, "us-east-1", (10, 20, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("ca." + SONNET, "us-east-1", (10, 20, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("in." + SONNET, "us-east-1", (10, 20, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    ("us-gov." + SONNET, "us-east-1", (10, 20, 0, 0, 0), "standard", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (100, 10, 2000, 3000, 1000), "standard", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (100, 10, 0, 3000, 3000), "standard", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (100, 10, 0, 3000, 0), "standard", (SONNET, "", "us-east-1")),
    ("global." + SONNET, "us-east-1", (100, 10, 5000, 0, 0), "standard", (SONNET, "global", "us-east-1")),
    ("global." + SONNET, "us-east-1", (100, 10, 0, 400, 100), "standard", (SONNET, "global", "us-east-1")),
    (SONNET, "us-east-1", (250_000, 1000, 0, 0, 0), "long_context", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (200_001, 1, 50, 0, 0), "long_context", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (100, 100, 0, 0, 0), "flex", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (100, 100, 0, 0, 0), "priority", (SONNET, "", "us-east-1")),
    (MICRO, "us-east-1", (1_000_000, 1_000_000, 0, 0, 0), "standard", (MICRO, "", "us-east-1")),
    (MICRO, "us-east-1", (10, 20, 10_000, 0, 0), "standard", (MICRO, "", "us-east-1")),
    ("us." + MICRO, "us-west-2", (10, 20, 10_000, 0, 0), "standard", (MICRO, "", "us-west-2")),
    (MICRO, "us-west-2", (3, 5, 0, 0, 0), "standard", (MICRO, "", "us-west-2")),
    ("global." + MICRO, "us-east-1", (3, 5, 0, 0, 0), "standard", (MICRO, "", "us-east-1")),
    (MICRO, "us-east-1", (4000, 2000, 0, 0, 0), "batch", (MICRO, "", "us-east-1")),
    (MICRO, "us-east-1", (4000, 2000, 100, 0, 0), "batch", (MICRO, "", "us-east-1")),
    (MICRO, "us-east-1", (4000, 2000, 0, 50, 0), "standard", (MICRO, "", "us-east-1")),
    ("us." + LITE, "us-east-1", (999, 1, 1001, 0, 0), "standard", (LITE, "", "us-east-1")),
    (PRO, "us-east-1", (1, 999, 123_457, 0, 0), "standard", (PRO, "", "us-east-1")),
    (LLAMA, "us-east-1", (1234, 5678, 0, 0, 0), "standard", (LLAMA, "", "us-east-1")),
    ("us." + LLAMA, "us-east-1", (1234, 5678, 0, 0, 0), "flex", (LLAMA, "", "us-east-1")),
    (LLAMA, "us-east-1", (1234, 5678, 0, 0, 0), "priority", (LLAMA, "", "us-east-1")),
    (LLAMA, "us-east-1", (1234, 5678, 0, 0, 0), "long_context", (LLAMA, "", "us-east-1")),
    (LLAMA, "us-east-1", (1234, 5678, 0, 0, 0), "batch", (LLAMA, "", "us-east-1")),
    (TITAN, "us-east-1", (8191, 0, 0, 0, 0), "standard", (TITAN, "", "us-east-1")),
    (TITAN, "us-east-1", (0, 0, 0, 0, 0), "standard", (TITAN, "", "us-east-1")),
    (MICRO, "us-east-1", (987_654_321_987, 0, 0, 0, 0), "standard", (MICRO, "", "us-east-1")),
    (SONNET, "us-east-1", (1, 1, 1, 1, 1), "standard", (SONNET, "", "us-east-1")),
    (SONNET, "us-east-1", (0, 0, 0, 0, 0), "long_context", (SONNET, "", "us-east-1")),
]
MISSING_REGION = [
    (SONNET, "us-west-2"),
    (MICRO, "eu-west-3"),
    ("eu." + LLAMA, "eu-west-3"),
    ("global." + PRO, "us-west-2"),
    ("anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1"),  # known, no price anywhere
]
UNKNOWN = ["acme.mystery-v1:0", "xx." + SONNET, "us.us." + SONNET, SONNET + "-extra", "", ARN + "0"]


@pytest.mark.parametrize(("model_id", "region", "tokens", "tier", "key"), CASES)
def test_cost_of_a_call_is_exact(catalog, model_id, region, tokens, tier, key):
    quote = catalog.price_for(model_id, region, "2026-11-26")
    assert not quote.unpriced and not quote.missing
    assert (quote.region, quote.scope) == (region, key[1])
    costs = catalog.costs(quote, *tokens, tier=tier)
    want, missing = expected(FIGURES[key], tokens, tier)
    assert Fraction(costs.total) == want
    assert set(costs.missing) == missing
    assert len(costs.missing) == len(missing)


def test_the_table_has_at_least_forty_cases_and_reaches_every_dimension():
    assert len(CASES) + len(MISSING_REGION) + len(UNKNOWN) >= 40
    fields = {
        PREFIX[tier] + kind
        for _, _, tokens, tier, _ in CASES
        for kind, n in zip(
            ("input", "output", "cache_read", "cache_write", "cache_write_1h"), tokens, strict=True
        )
        if n
    }
    assert {
        "input",
        "output",
        "cache_read",
        "cache_write",
        "cache_write_1h",
        "long_input",
        "long_output",
    } <= fields
    assert {"batch_input", "flex_input", "priority_output"} <= fields


@pytest.mark.parametrize(("model_id", "region"), MISSING_REGION)
def test_a_region_without_a_price_is_flagged_and_never_priced_elsewhere(catalog, model_id, region):
    quote = catalog.price_for(model_id, region, "2026-11-26")
    assert quote.missing and not quote.unpriced and quote.price is None and quote.region == region
    assert catalog.costs(quote, 1000, 1000, 10, 10, 5).total == 0


@pytest.mark.parametrize("model_id", UNKNOWN)
def test_an_unknown_model_is_unpriced(catalog, model_id):
    quote = catalog.price_for(model_id, "us-east-1", "2026-11-26")
    assert quote.unpriced and not quote.missing and quote.price is None
    assert catalog.costs(quote, 5, 5, 5, 5).total == 0


def test_a_day_before_the_first_period_has_no_price(catalog):
    assert catalog.price_for(MICRO, "us-east-1", "2026-09-30").missing
    assert not catalog.price_for(MICRO, "us-east-1", "2026-10-01").missing


def test_what_the_fixture_gives_every_field_of_every_period(built):
    for (model_id, scope, region), figures in FIGURES.items():
        model = built["models"][model_id]
        period = model["profile_prices"][scope][region] if scope else model["prices"][region]
        rates = {k: v for k, v in period.items() if k not in ("from", "sources", "history")}
        assert {k: Decimal(v) for k, v in rates.items()} == {k: Decimal(v) for k, v in figures.items()}
        assert period["from"] == "2026-10-01"
        assert set(period["sources"]) == set(figures)


def test_each_rate_names_its_sku_and_version_or_its_override(built):
    offer = json.loads((FIXTURES / "offer.json").read_text())
    period = built["models"][SONNET]["prices"]["us-east-1"]
    sku = period["sources"]["cache_write_1h"].split()[1]
    assert period["sources"]["cache_write_1h"] == f"AmazonBedrock {sku} v{OFFER_VERSION}"
    assert (
        offer["products"][sku]["attributes"]["usagetype"]
        == "USE1-ClaudeSonnet4.5-cache-write-1h-input-tokens"
    )
    assert period["sources"]["output"] == "override sonnet-4-5-output"
    glob = built["models"][SONNET]["profile_prices"]["global"]["us-east-1"]
    assert glob["sources"]["cache_read"] == "override sonnet-4-5-global (0.1 x input)"
    assert built["models"][MICRO]["prices"]["us-east-1"]["sources"]["cache_read"] == (
        "override nova-cache-read (0.25 x input)"
    )


def test_the_offer_wins_over_an_override_and_the_unused_override_is_reported(built, capsys, tmp_path):
    assert built["models"][SONNET]["prices"]["us-east-1"]["input"] == "0.0033"  # not 9.99
    assert main(fixture_args(tmp_path / "c.json", FIXTURES / "offer.json")) == 0
    out = capsys.readouterr().out
    assert "override sonnet-4-5-input-is-in-the-offer filled nothing" in out
    assert "Price List model 'Mystery Model' is not in models.json" in out
    assert "model anthropic.claude-3-sonnet-20240229-v1:0 has no token price" in out


def test_products_that_are_not_per_call_prices_are_left_out(built):
    llama = built["models"][LLAMA]["prices"]["us-east-1"]
    assert "21.18" not in json.dumps(llama)  # provisioned throughput (Hrs)
    assert built["models"]["amazon.nova-canvas-v1:0"]["billing_unit"] == "Images"
    assert built["models"]["amazon.nova-canvas-v1:0"]["prices"] == {}


def test_model_facts_come_from_models_json(built, catalog):
    assert "price_list_names" not in built["models"][SONNET]
    assert catalog.models[SONNET].long_context_threshold == 200000
    assert catalog.profile_for(SONNET, "us-east-1") == ("us." + SONNET, "global." + SONNET)
    assert catalog.profile_for("us." + SONNET, "us-east-1") == ()
    assert catalog.profile_for(SONNET, "eu-west-3") == ()
    assert catalog.profile_for(ARN, "us-east-1") == ()
    assert catalog.profile_for("acme.x-v1:0", "us-east-1") == ()
    llama = catalog.models[LLAMA].lifecycle
    assert (llama.legacy, llama.end_of_life, llama.successor) == ("2026-10-15", "2027-04-15", PRO)
    assert [llama.status(d) for d in ("2026-10-14", "2026-10-15", "2027-04-14", "2027-04-15")] == [
        "active",
        "legacy",
        "legacy",
        "end-of-life",
    ]


def test_a_rerun_on_the_same_offer_changes_nothing(built, tmp_path):
    target = tmp_path / "catalog.json"
    target.write_text(json.dumps(built, indent=1) + "\n")
    assert main([*fixture_args(target, FIXTURES / "offer.json"), "--check"]) == 0
    assert json.loads(target.read_text()) == built


def changed_offer(tmp_path: Path, price: str, effective: str, published: str) -> Path:
    """The fixture offer with Nova Micro's us-east-1 input rate changed."""
    offer = json.loads((FIXTURES / "offer.json").read_text())
    offer = copy.deepcopy(offer)
    offer["version"] = "20261115000000"
    offer["publicationDate"] = f"{published}T00:00:00Z"
    for sku, product in offer["products"].items():
        if product["attributes"]["usagetype"] == "USE1-NovaMicro-input-tokens":
            (term,) = offer["terms"]["OnDemand"][sku].values()
            term["effectiveDate"] = f"{effective}T00:00:00Z"
            (dimension,) = term["priceDimensions"].values()
            dimension["pricePerUnit"]["USD"] = price
    path = tmp_path / "offer-changed.json"
    path.write_text(json.dumps(offer))
    return path


def test_a_mid_month_change_appends_a_period_and_prices_earlier_days_at_the_old_price(built, tmp_path):
    target = tmp_path / "catalog.json"
    target.write_text(json.dumps(built))
    assert (
        main([*fixture_args(target, changed_offer(tmp_path, "0.0000400000", "2026-11-15", "2026-11-14"))])
        == 0
    )
    raw = json.loads(target.read_text())
    entry = raw["models"][MICRO]["prices"]["us-east-1"]
    assert (entry["from"], entry["input"]) == ("2026-11-15", "0.00004")
    assert [(p["from"], p["input"]) for p in entry["history"]] == [("2026-10-01", "0.000035")]
    # cache reads follow the new input through the override: 25% of 0.00004
    assert entry["cache_read"] == "0.00001" and entry["history"][0]["cache_read"] == "0.00000875"
    catalog = Catalog(raw)
    tokens = 1_000_000
    for day, rate, changed in (
        ("2026-11-01", "0.000035", False),
        ("2026-11-14", "0.000035", False),
        ("2026-11-15", "0.00004", True),
        ("2026-11-16", "0.00004", False),
        ("2026-11-30", "0.00004", False),
    ):
        quote = catalog.price_for(MICRO, "us-east-1", day)
        assert quote.changed_on_day is changed, day
        assert Fraction(catalog.costs(quote, tokens, 0, 0, 0).total) == tokens * Fraction(rate) / 1000
    # other Regions keep their single period
    assert "history" not in raw["models"][MICRO]["prices"]["us-west-2"]
    # and the next refresh with the same offer keeps both periods as they are
    assert (
        main([*fixture_args(target, changed_offer(tmp_path, "0.0000400000", "2026-11-15", "2026-11-14"))])
        == 0
    )
    assert json.loads(target.read_text()) == raw


def test_a_change_with_an_older_effective_date_starts_on_the_publication_day(built, tmp_path):
    target = tmp_path / "catalog.json"
    target.write_text(json.dumps(built))
    assert main(fixture_args(target, changed_offer(tmp_path, "0.00005", "2026-09-01", "2026-11-20"))) == 0
    entry = json.loads(target.read_text())["models"][MICRO]["prices"]["us-east-1"]
    assert (entry["from"], entry["input"]) == ("2026-11-20", "0.00005")
    assert entry["history"][0]["from"] == "2026-10-01"


def test_a_change_that_cannot_start_after_the_last_period_is_refused(built, tmp_path, capsys):
    target = tmp_path / "catalog.json"
    target.write_text(json.dumps(built))
    assert main(fixture_args(target, changed_offer(tmp_path, "0.00005", "2026-09-01", "2026-10-01"))) == 2
    assert "fix the offer or the catalog by hand" in capsys.readouterr().err
    assert json.loads(target.read_text()) == built


def test_check_reports_a_change_without_writing(built, tmp_path):
    target = tmp_path / "catalog.json"
    target.write_text(json.dumps(built))
    args = [*fixture_args(target, changed_offer(tmp_path, "0.00005", "2026-11-15", "2026-11-15")), "--check"]
    assert main(args) == 1
    assert json.loads(target.read_text()) == built


def get_products_items() -> list[str]:
    """The fixture offer as GetProducts answers it: one JSON string per product."""
    offer = json.loads((FIXTURES / "offer.json").read_text())
    return [
        json.dumps(
            {
                "product": product,
                "serviceCode": "AmazonBedrock",
                "terms": {"OnDemand": offer["terms"]["OnDemand"][sku]},
                "version": offer["version"],
                "publicationDate": offer["publicationDate"],
            }
        )
        for sku, product in offer["products"].items()
    ]


def test_the_pricing_api_gives_the_same_catalog_as_the_offer_file(built, tmp_path):
    import boto3

    client = boto3.client("pricing", region_name="us-east-1")
    items = get_products_items()
    stub = Stubber(client)
    base = {"ServiceCode": "AmazonBedrock", "FormatVersion": "aws_v1", "MaxResults": 100}
    stub.add_response("get_products", {"PriceList": items[:10], "NextToken": "page-2"}, base)
    stub.add_response(
        "get_products", {"PriceList": items[10:20], "NextToken": "page-3"}, {**base, "NextToken": "page-2"}
    )
    stub.add_response("get_products", {"PriceList": items[20:]}, {**base, "NextToken": "page-3"})
    target = tmp_path / "catalog.json"
    with stub:
        assert main([*fixture_args(target), "--api"], client=client) == 0
    stub.assert_no_pending_responses()
    assert json.loads(target.read_text()) == built


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.update(offerCode="AmazonEC2"), "not an AmazonBedrock offer file"),
        (lambda o: o.pop("products"), "'products' and 'terms'"),
        (lambda o: o.update(terms=[]), "'products' and 'terms'"),
        (lambda o: first_term(o).update(effectiveDate="soon"), "effectiveDate is not a date"),
        (lambda o: first_dimension(o).update(pricePerUnit={}), "no pricePerUnit.USD"),
        (lambda o: first_dimension(o).update(pricePerUnit={"USD": "-1"}), "price must be a number >= 0"),
        (lambda o: first_dimension(o).update(pricePerUnit={"USD": "NaN"}), "price must be a number >= 0"),
        (lambda o: first_dimension(o).update(pricePerUnit={"USD": "abc"}), "no pricePerUnit.USD"),
    ],
)
def test_a_malformed_offer_fails_with_a_clear_message(tmp_path, capsys, change, message):
    offer = json.loads((FIXTURES / "offer.json").read_text())
    change(offer)
    path = tmp_path / "offer.json"
    path.write_text(json.dumps(offer))
    assert main(fixture_args(tmp_path / "c.json", path)) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def first_term(offer: dict) -> dict:
    (term,) = next(iter(offer["terms"]["OnDemand"].values())).values()
    return term


def first_dimension(offer: dict) -> dict:
    (dimension,) = first_term(offer)["priceDimensions"].values()
    return dimension


def test_missing_or_broken_inputs_fail_with_a_clear_message(tmp_path, capsys):
    assert main(fixture_args(tmp_path / "c.json", tmp_path / "none.json")) == 2
    assert "none.json: not found" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert main(fixture_args(tmp_path / "c.json", tmp_path / "bad.json")) == 2
    assert "bad.json: not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("attributes", "want"),
    [
        ({"inferenceType": "Input tokens", "usagetype": "USE1-X-input-tokens"}, ("", "input")),
        ({"inferenceType": "Output tokens", "usagetype": "USE1-X-output-tokens"}, ("", "output")),
        ({"inferenceType": "Response tokens", "usagetype": "USE1-X"}, ("", "output")),
        ({"inferenceType": "Cache read input tokens", "usagetype": "USE1-X"}, ("", "cache_read")),
        ({"inferenceType": "", "usagetype": "USE1-X_cache_write_input_tokens"}, ("", "cache_write")),
        ({"inferenceType": "Cache write input tokens (1h)", "usagetype": "USE1-X"}, ("", "cache_write_1h")),
        ({"inferenceType": "", "usagetype": "USE1-X-cache-write-1hr"}, ("", "cache_write_1h")),
        ({"inferenceType": "Cache tokens", "usagetype": "USE1-X"}, None),
        ({"inferenceType": "Input tokens", "usagetype": "USE1-X-input-tokens-global"}, ("global", "input")),
        ({"inferenceType": "Input tokens", "usagetype": "USE1-X-input-tokens-batch"}, ("", "batch_input")),
        ({"feature": "Batch Inference", "inferenceType": "Output tokens"}, ("", "batch_output")),
        ({"feature": "Flex Inference", "inferenceType": "Input tokens"}, ("", "flex_input")),
        ({"feature": "Priority Inference", "inferenceType": "Output tokens"}, ("", "priority_output")),
        ({"inferenceType": "Long context input tokens"}, ("", "long_input")),
        ({"inferenceType": "Input tokens", "usagetype": "USE1-X-lctx-input"}, ("", "long_input")),
        ({"feature": "Batch Inference", "inferenceType": "Long context input tokens"}, None),
        ({"feature": "Provisioned Throughput", "inferenceType": "Input tokens"}, None),
        ({"feature": "Model customization", "inferenceType": "Input tokens"}, None),
        ({"feature": "Custom Model Import"}, None),
    ],
)
def test_a_product_is_read_from_its_attributes(attributes, want):
    assert price_list.classify(attributes) == want


def test_a_later_effective_date_wins_within_one_answer():
    rates = [
        price_list.Rate("M", "us-east-1", "", "input", Decimal("1"), "2026-01-01", "a"),
        price_list.Rate("M", "us-east-1", "", "input", Decimal("2"), "2026-03-01", "b"),
        price_list.Rate("M", "us-east-1", "", "input", Decimal("3"), "2026-02-01", "c"),
    ]
    assert price_list._latest(rates)[("M", "us-east-1", "", "input")].source == "b"


def test_items_of_other_services_and_products_without_model_or_region_are_skipped():
    product = {
        "sku": "A",
        "attributes": {"servicecode": "AmazonEC2", "model": "M", "regionCode": "us-east-1"},
    }
    assert list(price_list.read_items({"A": product}, {}, "v")) == []
    product = {"sku": "B", "attributes": {"servicecode": "AmazonBedrock", "regionCode": "us-east-1"}}
    assert list(price_list.read_items({"B": product}, {}, "v")) == []
    with pytest.raises(price_list.PriceListError, match="without product.sku"):
        price_list.read_price_list([json.dumps({"product": {}})])
