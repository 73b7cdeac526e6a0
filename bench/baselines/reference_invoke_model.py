"""What the reference's invoke handler module imported at cold start (measured by `cold_import`).

langchain-community's Bedrock adapter, boto3 and the powertools Logger, at module level. Needs
.venv-bench. The handler itself is the per-request-client one.
"""

import json  # noqa: F401
import os  # noqa: F401

import boto3  # noqa: F401
from aws_lambda_powertools import Logger
from langchain_community.llms.bedrock import Bedrock  # noqa: F401

from bench.baselines.per_request_client import lambda_handler  # noqa: F401

logger = Logger(service="invoke_model")
