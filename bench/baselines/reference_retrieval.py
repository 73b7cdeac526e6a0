"""Baseline imports for `ddb_cost_retrieval` (measured by `cold_import`).

Conservative: only boto3 and the powertools Logger, the imports every reference handler had; the
reference's own retrieval module may have imported more. Needs only the runtime packages.
"""

import json  # noqa: F401
import os  # noqa: F401

import boto3  # noqa: F401
from aws_lambda_powertools import Logger

logger = Logger(service="ddb_cost_retrieval")
