"""One Lambda execution environment: a separate process that runs one function's handler.

Started by local/lambda_runner.py as ``python lambda_worker.py <task dir> <layer dir>...`` with the
function's environment. Protocol on stdin/stdout (the real stdout is kept for it; the handler's
stdout and stderr are captured per invocation, as the Lambda runtime sends them to CloudWatch):

  in:  {"request_id": ..., "event": {...}, "deadline": <epoch seconds>}
  out: {"ok": true, "result": ...} or {"ok": false, "error": {...}}, plus "logs": [[ms, line]...]

This file imports nothing from the repository: the function sees only its zip, its layers and
the runtime's own packages, as on Lambda.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


class _Capture(io.TextIOBase):
    """A stdout/stderr stand-in that turns what the handler prints into log events."""

    def __init__(self, sink: list, lock: threading.Lock):
        self._sink = sink
        self._lock = lock
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            data = self._partial + text
            *lines, self._partial = data.split("\n")
            now = int(time.time() * 1000)
            for line in lines:
                self._sink.append([now, line])
        return len(text)

    def flush_partial(self) -> None:
        with self._lock:
            if self._partial:
                self._sink.append([int(time.time() * 1000), self._partial])
                self._partial = ""


class _Context:
    """The parts of the Lambda context object handlers use."""

    def __init__(self, request_id: str, deadline: float):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class _LambdaFormatter(logging.Formatter):
    """The Python runtime's default line: [LEVEL]\\tTIME\\tREQUEST_ID\\tmessage."""

    request_id = ""

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        text = (
            f"[{record.levelname}]\t{when}.{int(record.msecs):03d}Z\t{self.request_id}\t{record.getMessage()}"
        )
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _error_payload(exc: BaseException) -> dict:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _die_with_parent() -> None:
    """Linux: the kernel kills this environment when the stack's process goes, however it goes."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main() -> None:
    _die_with_parent()
    task_dir, *layer_dirs = sys.argv[1:]
    # The function sees its own code first, then its layers, then the runtime's packages.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
    opt_paths = []
    for layer in layer_dirs:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        opt_paths += [
            os.path.join(layer, "python", "lib", version, "site-packages"),
            os.path.join(layer, "python"),
        ]
    sys.path[:0] = [task_dir, *opt_paths]
    os.chdir(task_dir)

    proto_out = os.fdopen(os.dup(1), "w", buffering=1)
    proto_in = sys.stdin
    os.dup2(2, 1)  # stray C-level writes to fd 1 must not corrupt the protocol
    lock = threading.Lock()
    logs: list = []
    out_capture = _Capture(logs, lock)
    sys.stdout = out_capture
    sys.stderr = _Capture(logs, lock)

    formatter = _LambdaFormatter()
    root_handler = logging.StreamHandler(sys.stdout)
    root_handler.setFormatter(formatter)
    logging.getLogger().handlers[:] = [root_handler]
    logging.getLogger().setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING"))

    module_name, _, func_name = os.environ.get("_HANDLER", "index.lambda_handler").rpartition(".")
    handler = None
    for raw in proto_in:
        message = json.loads(raw)
        request_id = message["request_id"]
        formatter.request_id = request_id
        reply: dict = {}
        init_ms = None
        if handler is None:
            started = time.time()
            try:
                module = __import__(module_name)
                handler = getattr(module, func_name)
            except BaseException as exc:  # noqa: BLE001 - an init failure is the function's answer
                print(
                    json.dumps(
                        {
                            "errorMessage": str(exc),
                            "errorType": f"Runtime.{type(exc).__name__}",
                            "requestId": request_id,
                        }
                    )
                )
                out_capture.flush_partial()
                reply = {"ok": False, "init_failed": True, "error": _error_payload(exc)}
                reply["logs"], logs[:] = list(logs), []
                proto_out.write(json.dumps(reply) + "\n")
                return
            init_ms = (time.time() - started) * 1000
        started = time.time()
        try:
            result = handler(message["event"], _Context(request_id, message["deadline"]))
            json.dumps(result)
            reply = {"ok": True, "result": result}
        except BaseException as exc:  # noqa: BLE001 - the runtime reports every failure
            error = _error_payload(exc)
            # One event, as the runtime writes an unhandled error: a single JSON line.
            print(json.dumps({**error, "requestId": request_id}))
            reply = {"ok": False, "error": error}
        out_capture.flush_partial()
        sys.stderr.flush_partial()
        reply["duration_ms"] = (time.time() - started) * 1000
        reply["init_ms"] = init_ms
        with lock:
            reply["logs"], logs[:] = list(logs), []
        proto_out.write(json.dumps(reply, default=str) + "\n")


if __name__ == "__main__":
    main()
