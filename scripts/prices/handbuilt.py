"""Write ``handbuilt_offer.json``: the public Bedrock prices we know, in the Price List's offer format.

There is no internet where this project is built, so the real AmazonBedrock offer file cannot be
downloaded here. This module holds, as a table, the figures that AWS's public pricing page and
announcements list (collected by hand, see the ``verified`` notes below), and writes them in the
bulk offer file's exact format so that ``make prices`` runs the same parser on them as on a real
offer file. Its SKUs are synthetic (``HB`` + a hash) and its version is ``handbuilt-<date>``, so a
catalog price built from it says so in its source.

Only what the Price List itself is known to publish goes here: input tokens for every provider,
output tokens for all but Anthropic (whose output, cache and long-context figures the Price List
lacks; they are in ``overrides.json``). Run ``python -m scripts.prices.handbuilt`` after editing.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "handbuilt_offer.json"
VERSION = "handbuilt-20261130"
PUBLISHED = "2026-11-30T00:00:00Z"

LOCATIONS = {
    "us-east-1": ("US East (N. Virginia)", "USE1"),
    "us-east-2": ("US East (Ohio)", "USE2"),
    "us-west-2": ("US West (Oregon)", "USW2"),
    "eu-central-1": ("EU (Frankfurt)", "EUC1"),
    "eu-west-1": ("EU (Ireland)", "EU"),
    "eu-west-3": ("EU (Paris)", "EUW3"),
    "ap-northeast-1": ("Asia Pacific (Tokyo)", "APN1"),
    "ap-southeast-2": ("Asia Pacific (Sydney)", "APS2"),
}
US = ("us-east-1", "us-west-2")
US3 = ("us-east-1", "us-east-2", "us-west-2")
ANTHROPIC = tuple(LOCATIONS)

# (Price List model name, provider, Regions, since, per-1M figures by usage kind). Usage kinds:
# input/output on demand; batch-input/batch-output; flex-*/priority-*; global-* (the global
# cross-Region profile's own price). US$ per 1M tokens, as the pricing page shows them.
TABLE: list[tuple[str, str, tuple[str, ...], str, dict[str, str]]] = [
    # Anthropic: the Price List publishes input tokens only (aws/aws-cli#9567, boto/boto3#4531)
    ("Claude 3 Haiku", "Anthropic", US, "2024-03-13", {"input": "0.25"}),
    ("Claude 3 Sonnet", "Anthropic", US, "2024-03-04", {"input": "3.00"}),
    ("Claude 3 Opus", "Anthropic", US, "2024-04-16", {"input": "15.00"}),
    ("Claude 3.5 Haiku", "Anthropic", US, "2024-11-04", {"input": "0.80"}),
    ("Claude 3.5 Sonnet", "Anthropic", US, "2024-06-20", {"input": "3.00"}),
    ("Claude 3.5 Sonnet v2", "Anthropic", US, "2024-10-22", {"input": "3.00"}),
    ("Claude 3.7 Sonnet", "Anthropic", US3, "2025-02-24", {"input": "3.00"}),
    ("Claude Sonnet 4", "Anthropic", US3, "2025-05-22", {"input": "3.00"}),
    ("Claude Opus 4", "Anthropic", US3, "2025-05-22", {"input": "15.00"}),
    ("Claude Opus 4.1", "Anthropic", US3, "2025-08-05", {"input": "15.00"}),
    # from Sonnet 4.5 on: in-Region and geographic profiles cost 10% more than global.
    ("Claude Sonnet 4.5", "Anthropic", ANTHROPIC, "2025-09-29", {"input": "3.30", "global-input": "3.00"}),
    ("Claude Haiku 4.5", "Anthropic", ANTHROPIC, "2025-10-15", {"input": "1.10", "global-input": "1.00"}),
    ("Claude Opus 4.5", "Anthropic", ANTHROPIC, "2025-11-24", {"input": "5.50", "global-input": "5.00"}),
    ("Claude Sonnet 4.6", "Anthropic", ANTHROPIC, "2026-02-17", {"input": "3.30", "global-input": "3.00"}),
    ("Claude Opus 4.6", "Anthropic", ANTHROPIC, "2026-02-05", {"input": "5.50", "global-input": "5.00"}),
    # Amazon
    (
        "Nova Micro",
        "Amazon",
        US3,
        "2024-12-03",
        {"input": "0.035", "output": "0.14", "batch-input": "0.0175", "batch-output": "0.07"},
    ),
    (
        "Nova Lite",
        "Amazon",
        US3,
        "2024-12-03",
        {"input": "0.06", "output": "0.24", "batch-input": "0.03", "batch-output": "0.12"},
    ),
    (
        "Nova Pro",
        "Amazon",
        US3,
        "2024-12-03",
        {"input": "0.80", "output": "3.20", "batch-input": "0.40", "batch-output": "1.60"},
    ),
    (
        "Nova Premier",
        "Amazon",
        US3,
        "2025-04-30",
        {"input": "2.50", "output": "12.50", "batch-input": "1.25", "batch-output": "6.25"},
    ),
    (
        "Nova 2 Lite",
        "Amazon",
        US3,
        "2025-12-02",
        {
            "input": "0.30",
            "output": "2.50",
            "flex-input": "0.15",
            "flex-output": "1.25",
            "priority-input": "0.525",
            "priority-output": "4.375",
        },
    ),
    ("Titan Text G1 - Express", "Amazon", US, "2023-09-28", {"input": "0.20", "output": "0.60"}),
    ("Titan Text G1 - Lite", "Amazon", US, "2023-09-28", {"input": "0.15", "output": "0.20"}),
    ("Titan Embeddings G1 - Text", "Amazon", US, "2023-09-28", {"input": "0.10"}),
    ("Titan Text Embeddings V2", "Amazon", US, "2024-04-30", {"input": "0.02", "batch-input": "0.01"}),
    # Meta
    ("Llama 3 8B Instruct", "Meta", US, "2024-04-23", {"input": "0.30", "output": "0.60"}),
    ("Llama 3 70B Instruct", "Meta", US, "2024-04-23", {"input": "2.65", "output": "3.50"}),
    (
        "Llama 3.1 8B Instruct",
        "Meta",
        US,
        "2024-07-23",
        {"input": "0.22", "output": "0.22", "batch-input": "0.11", "batch-output": "0.11"},
    ),
    (
        "Llama 3.1 70B Instruct",
        "Meta",
        US,
        "2024-07-23",
        {"input": "0.72", "output": "0.72", "batch-input": "0.36", "batch-output": "0.36"},
    ),
    ("Llama 3.1 405B Instruct", "Meta", ("us-west-2",), "2024-07-23", {"input": "2.40", "output": "2.40"}),
    ("Llama 3.2 1B Instruct", "Meta", US, "2024-09-25", {"input": "0.10", "output": "0.10"}),
    ("Llama 3.2 3B Instruct", "Meta", US, "2024-09-25", {"input": "0.15", "output": "0.15"}),
    ("Llama 3.2 11B Instruct", "Meta", US, "2024-09-25", {"input": "0.16", "output": "0.16"}),
    ("Llama 3.2 90B Instruct", "Meta", US, "2024-09-25", {"input": "0.72", "output": "0.72"}),
    (
        "Llama 3.3 70B Instruct",
        "Meta",
        US3,
        "2024-12-19",
        {"input": "0.72", "output": "0.72", "batch-input": "0.36", "batch-output": "0.36"},
    ),
    ("Llama 4 Scout 17B", "Meta", US3, "2025-04-28", {"input": "0.17", "output": "0.66"}),
    ("Llama 4 Maverick 17B", "Meta", US3, "2025-04-28", {"input": "0.24", "output": "0.97"}),
    # Mistral
    ("Mistral 7B Instruct", "Mistral", US, "2024-03-01", {"input": "0.15", "output": "0.20"}),
    ("Mixtral 8x7B Instruct", "Mistral", US, "2024-03-01", {"input": "0.45", "output": "0.70"}),
    ("Mistral Large (24.02)", "Mistral", US, "2024-04-02", {"input": "4.00", "output": "12.00"}),
    ("Mistral Large (24.07)", "Mistral", ("us-west-2",), "2024-07-24", {"input": "2.00", "output": "6.00"}),
    ("Mistral Small (24.02)", "Mistral", ("us-east-1",), "2024-04-02", {"input": "1.00", "output": "3.00"}),
    ("Pixtral Large (25.02)", "Mistral", US3, "2025-04-08", {"input": "2.00", "output": "6.00"}),
    # Cohere
    ("Command R", "Cohere", US, "2024-04-30", {"input": "0.50", "output": "1.50"}),
    ("Command R+", "Cohere", US, "2024-04-30", {"input": "3.00", "output": "15.00"}),
    ("Embed English", "Cohere", US, "2023-11-13", {"input": "0.10"}),
    ("Embed Multilingual", "Cohere", US, "2023-11-13", {"input": "0.10"}),
    ("Embed v4", "Cohere", US, "2025-07-22", {"input": "0.12"}),
    # DeepSeek, OpenAI, Writer
    ("DeepSeek-R1", "DeepSeek", US3, "2025-03-10", {"input": "1.35", "output": "5.40"}),
    ("DeepSeek-V3.1", "DeepSeek", US3, "2025-09-18", {"input": "0.58", "output": "1.68"}),
    (
        "gpt-oss-120b",
        "OpenAI",
        US,
        "2025-08-05",
        {
            "input": "0.15",
            "output": "0.60",
            "flex-input": "0.075",
            "flex-output": "0.30",
            "priority-input": "0.2625",
            "priority-output": "1.05",
        },
    ),
    (
        "gpt-oss-20b",
        "OpenAI",
        US,
        "2025-08-05",
        {
            "input": "0.07",
            "output": "0.30",
            "flex-input": "0.035",
            "flex-output": "0.15",
            "priority-input": "0.1225",
            "priority-output": "0.525",
        },
    ),
    ("Palmyra X4", "Writer", US, "2025-04-28", {"input": "2.50", "output": "10.00"}),
    ("Palmyra X5", "Writer", US, "2025-04-28", {"input": "0.60", "output": "6.00"}),
]
# Models billed in another unit: (name, provider, Regions, since, unit, US$ per unit)
OTHER_UNITS = [
    ("Nova Canvas", "Amazon", US, "2024-12-03", "Images", "0.04"),
    ("Nova Reel", "Amazon", ("us-east-1",), "2024-12-03", "Seconds", "0.08"),
    ("Rerank 3.5", "Cohere", US, "2024-12-02", "Queries", "0.002"),
]

FEATURE = {
    "": "On-demand Inference",
    "batch": "Batch Inference",
    "flex": "Flex Inference",
    "priority": "Priority Inference",
}


def _sku(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest().upper()
    return "HB" + "".join(c for c in digest if c.isalnum())[:14]


def _slug(name: str) -> str:
    return "".join(ch for ch in name.title() if ch.isalnum() or ch == ".")


def _entry(name: str, provider: str, region: str, since: str, usage: str, price: str, unit: str):
    location, code = LOCATIONS[region]
    tier, _, kind = usage.rpartition("-")
    global_scope = tier == "global"
    feature = FEATURE["" if global_scope else tier]
    inference_type = {"input": "Input tokens", "output": "Output tokens"}.get(kind, kind)
    usagetype = f"{code}-{_slug(name)}-{kind}-tokens" + (f"-{tier}" if tier else "")
    sku = _sku(name, region, usage)
    product = {
        "sku": sku,
        "productFamily": "Amazon Bedrock",
        "attributes": {
            "servicecode": "AmazonBedrock",
            "location": location,
            "locationType": "AWS Region",
            "regionCode": region,
            "usagetype": usagetype,
            "operation": "",
            "servicename": "Amazon Bedrock",
            "model": name,
            "provider": provider,
            "feature": feature,
            "inferenceType": inference_type,
        },
    }
    per_unit = str(Decimal(price) / 1000) if unit == "1K tokens" else price
    term_code = "JRTCKXETXF"
    term = {
        f"{sku}.{term_code}": {
            "offerTermCode": term_code,
            "sku": sku,
            "effectiveDate": f"{since}T00:00:00Z",
            "priceDimensions": {
                f"{sku}.{term_code}.6YS6EN2CT7": {
                    "rateCode": f"{sku}.{term_code}.6YS6EN2CT7",
                    "description": f"${per_unit} per {unit} for {usagetype} in {location}",
                    "beginRange": "0",
                    "endRange": "Inf",
                    "unit": unit,
                    "pricePerUnit": {"USD": per_unit},
                    "appliesTo": [],
                }
            },
            "termAttributes": {},
        }
    }
    return sku, product, term


def build() -> dict:
    products: dict = {}
    terms: dict = {}
    for name, provider, regions, since, figures in TABLE:
        for region in regions:
            for usage, price in figures.items():
                sku, product, term = _entry(name, provider, region, since, usage, price, "1K tokens")
                products[sku] = product
                terms[sku] = term
    for name, provider, regions, since, unit, price in OTHER_UNITS:
        for region in regions:
            sku, product, term = _entry(name, provider, region, since, "input", price, unit)
            products[sku] = product
            terms[sku] = term
    return {
        "formatVersion": "v1.0",
        "disclaimer": (
            "Hand-built by bedrock-token-profiler from AWS's public Bedrock pricing page, in the Price "
            "List offer format; SKUs are synthetic. Not an AWS publication."
        ),
        "offerCode": "AmazonBedrock",
        "version": VERSION,
        "publicationDate": PUBLISHED,
        "products": dict(sorted(products.items())),
        "terms": {"OnDemand": dict(sorted(terms.items()))},
    }


if __name__ == "__main__":
    TARGET.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {TARGET}")
