"""Domain errors. ``token_profiler.http`` maps each to an HTTP status in one place."""

from __future__ import annotations


class ProfilerError(Exception):
    """Base class; ``status`` is the HTTP status the API answers with."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(ProfilerError):
    status = 400


class ModelRetired(BadRequest):
    """Bedrock answered that the model reached its end of life (or is legacy and closed to this
    account); invoke names the successor from the catalog."""


class ProfileRequired(BadRequest):
    """Bedrock answered that the bare model id has no on-demand throughput in this Region: only an
    inference profile can call it; invoke names the profile id from the catalog."""


class Unauthorized(ProfilerError):
    status = 401


class Forbidden(ProfilerError):
    status = 403


class BedrockThrottled(ProfilerError):
    status = 429

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class BedrockFailed(ProfilerError):
    status = 502


class BedrockTimeout(ProfilerError):
    status = 504


class ConfigError(Exception):
    """A setting or the price table is wrong; raised at cold start, naming the key."""
