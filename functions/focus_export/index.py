"""Scheduled FOCUS 1.2 export (docs/focus.md): the current month so far, and the previous month
during the first days of a month; or the month given as ``{"month": "YYYY-MM"}``.

Runs after the nightly aggregation and rewrites each month's object whole, so a rerun is harmless.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from token_profiler import dates, focus, settings
from token_profiler.clients import aws_client
from token_profiler.registry import display_names
from token_profiler.storage import UsageTable

SETTINGS = settings.load("focus_export")
logger = Logger()
ISSUER = focus.Issuer(
    provider_name=SETTINGS.focus_provider_name,
    billing_account_id=SETTINGS.focus_billing_account_id,
    billing_account_name=SETTINGS.focus_provider_name,
)


def tenant_names() -> dict[str, str]:
    """Each registered tenant's display name (SubAccountName); a tenant without one keeps its id."""
    if not SETTINGS.tenants_table:
        return {}
    return display_names(aws_client("dynamodb"), SETTINGS.tenants_table)


@logger.inject_lambda_context
def lambda_handler(event, context):
    today = dates.today()
    # EventBridge rules wrap the payload in "detail"; Scheduler passes the input as is
    source = (
        event.get("detail") if isinstance(event, dict) and isinstance(event.get("detail"), dict) else event
    )
    month = source.get("month") if isinstance(source, dict) else None
    months = [focus.parse_month(month)] if month else focus.months_to_write(today)
    table = UsageTable(aws_client("dynamodb"), SETTINGS.table_name)
    names = tenant_names()
    written = [
        focus.write_month(aws_client("s3"), SETTINGS.s3_bucket, table, first, ISSUER, today, names)
        for first in months
    ]
    for summary in written:
        logger.info("FOCUS export written", extra=summary)
    return {"written": written}
