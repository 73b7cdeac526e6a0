"""What the reference's cost-tracking handler modules imported at cold start (measured by `cold_import`).

pandas, boto3 and the powertools Logger, at module level. Needs .venv-bench. Baseline for our
`cost_tracking` and `cost_tracking_manual` handlers.
"""

import datetime  # noqa: F401
import json  # noqa: F401
import os  # noqa: F401

import boto3  # noqa: F401
import pandas as pd  # noqa: F401
from aws_lambda_powertools import Logger

logger = Logger(service="cost_tracking")
