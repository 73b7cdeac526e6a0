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


class Unauthorized(ProfilerError):
    status = 401


class Forbidden(ProfilerError):
    status = 403


class NotFound(ProfilerError):
    status = 404


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
