"""Domain package of the Bedrock token profiler.

Shipped to Lambda as a layer. Nothing here imports aws-lambda-powertools at import time except
``token_profiler.apigw``, the HTTP glue the API handlers use.
"""

USAGE_MARKER = "TOKEN_USAGE"
USAGE_SCHEMA_VERSION = 3  # the aggregator still reads versions 1 and 2
# CloudWatch namespace of the product's metrics (powertools Metrics, embedded metric format).
METRICS_NAMESPACE = "BedrockTokenProfiler"

# The numeric columns of a usage row (DynamoDB numbers), in the order reports and answers use.
ROW_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "invocations",
)
ROW_COSTS = ("input_cost", "output_cost", "cache_read_cost", "cache_write_cost", "total_cost")
