"""Domain package of the Bedrock token profiler.

Shipped to Lambda as a layer. Nothing here imports aws-lambda-powertools at import time except
``token_profiler.http``, the HTTP glue the API handlers use.
"""

USAGE_MARKER = "TOKEN_USAGE"
USAGE_SCHEMA_VERSION = 1
