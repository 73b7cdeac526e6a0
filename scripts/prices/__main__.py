"""make prices: rebuild the price catalog from the AWS Price List (see scripts/prices/__init__.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from scripts.prices import (
    CATALOG,
    HANDBUILT_OFFER,
    MODELS,
    OVERRIDES,
    PriceListError,
    build_catalog,
    fetch_price_list,
    load_json,
    read_offer,
    read_price_list,
)


def pricing_client():
    import boto3

    # The Price List API answers in us-east-1 (and a few other Regions), whatever the stack's Region.
    return boto3.client(
        "pricing",
        region_name=os.environ.get("PRICING_REGION", "us-east-1"),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
    )


def main(argv: list[str] | None = None, client=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--offer-file", type=Path, help="the AmazonBedrock bulk offer file (JSON)")
    source.add_argument("--api", action="store_true", help="pricing GetProducts (ServiceCode AmazonBedrock)")
    parser.add_argument(
        "--catalog", type=Path, default=CATALOG, help="the catalog to update (read, then written)"
    )
    parser.add_argument("--models", type=Path, default=MODELS)
    parser.add_argument("--overrides", type=Path, default=OVERRIDES)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the catalog would change"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if args.api:
            rates = read_price_list(fetch_price_list(client or pricing_client()))
            published = dt.datetime.now(dt.UTC).date().isoformat()
            origin = "pricing GetProducts"
        else:
            path = args.offer_file or HANDBUILT_OFFER
            offer = load_json(path)
            rates = read_offer(offer)
            published = (
                str(offer.get("publicationDate", ""))[:10] or dt.datetime.now(dt.UTC).date().isoformat()
            )
            origin = str(path)
        models = load_json(args.models)["models"]
        overrides = load_json(args.overrides)["entries"]
        existing = load_json(args.catalog) if args.catalog.is_file() else None
        if existing is not None and existing.get("schema_version") != 2:
            print(
                f"note: {args.catalog} is schema version {existing.get('schema_version')}: "
                "rebuilt, not merged"
            )
            existing = None
        catalog, notes = build_catalog(rates, models, overrides, existing, published)
    except PriceListError as exc:
        print(f"prices failed: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(catalog, indent=1) + "\n"
    changed = not args.catalog.is_file() or args.catalog.read_text(encoding="utf-8") != text
    if not args.check and changed:
        args.catalog.write_text(text, encoding="utf-8")
    regions = {r for m in catalog["models"].values() for r in m.get("prices", {})}
    for note in notes:
        print(f"note: {note}")
    print(
        f"{len(rates)} Price List rates from {origin}; {len(catalog['models'])} models, "
        f"{len(regions)} Regions; catalog {'changed' if changed else 'unchanged'}"
        f"{' (not written: --check)' if args.check and changed else ''}; "
        f"{time.perf_counter() - started:.2f} s"
    )
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
