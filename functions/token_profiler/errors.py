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


class ModelAccessDenied(Forbidden):
    """Bedrock refused the model for this AWS account (no model access, no Marketplace
    subscription, or the function's role may not invoke it): an operator step, named in the message."""


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


class BedrockReadTimeout(BedrockTimeout):
    """We stopped waiting; the model may still run to the end and be billed to the account."""


class ConfigError(Exception):
    """A setting or the price table is wrong; raised at cold start, naming the key."""


# What an error message may repeat of the caller's input: a few names, each cut short, and a count.
ECHO_NAMES = 5
ECHO_CHARS = 40


def echo_names(names: list[str]) -> str:
    """``a, b, c, ... (N in all)``: the first few names, each truncated, so a body of a million
    unknown keys gets a short answer and a short log line."""
    shown = [
        name if len(name) <= ECHO_CHARS else name[: ECHO_CHARS - 3] + "..." for name in names[:ECHO_NAMES]
    ]
    text = ", ".join(shown)
    if len(names) > ECHO_NAMES:
        text += f", ... ({len(names)} in all)"
    return text


class BudgetExhausted(ProfilerError):
    """A hard monthly budget has no room for this call's worst-case cost."""

    status = 402


class RateLimited(ProfilerError):
    """A tenant's requests- or tokens-per-minute limit is reached; retry after ``retry_after`` s."""

    status = 429

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class StoreUnavailable(ProfilerError):
    """The spend counters cannot be reached and the plan store fails closed."""

    status = 503


class Conflict(ProfilerError):
    """The request clashes with what exists (a user that belongs to another tenant, a disabled
    tenant that cannot take new users)."""

    status = 409
