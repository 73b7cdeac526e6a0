"""Run deployed Lambda functions locally: one worker process per execution environment.

Each function gets its code unpacked from its zip and its layers, its own environment (as
deployed), a pool of worker processes (local/lambda_worker.py), and its timeout: a worker that
overruns is killed and the invocation fails with ``Task timed out``, as on Lambda. Every line the
handler writes is shipped to CloudWatch Logs ``/aws/lambda/<name>`` with START/END/REPORT lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.events import log_stream_name

WORKER = Path(__file__).resolve().parent / "lambda_worker.py"
LogSink = Callable[[str, str, list[list[Any]]], None]  # (group, stream, [[ms, line], ...])


@dataclass
class FunctionSpec:
    name: str
    arn: str
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    code_zip: Path
    layer_zips: list[Path] = field(default_factory=list)
    log_group: str = ""

    def __post_init__(self) -> None:
        self.log_group = self.log_group or f"/aws/lambda/{self.name}"


@dataclass
class InvokeResult:
    ok: bool
    payload: Any  # the handler's return value, or the Lambda error object
    timed_out: bool = False
    duration_ms: float = 0.0


def unpack(zip_path: Path, into: Path) -> Path:
    """Unpack a zip once per content hash; the same bytes reuse the same directory."""
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()[:16]
    target = into / f"{zip_path.stem}-{digest}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(target)  # noqa: S202 - our own build output
        (target / ".complete").touch()
    return target


# PR_SET_PDEATHSIG (set by each worker) fires when the *thread* that started the worker exits, not
# the process; the gateway's request threads come and go, so every worker starts from this one
# long-lived thread instead.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda-spawner")


class _Worker:
    def __init__(self, spec: FunctionSpec, task_dir: Path, layer_dirs: list[Path], base_env: dict[str, str]):
        self.spec = spec
        self.stream = log_stream_name()
        self.cold = True
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": base_env.get("AWS_REGION", "us-east-1"),
            "AWS_DEFAULT_REGION": base_env.get("AWS_REGION", "us-east-1"),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            "LAMBDA_TASK_ROOT": str(task_dir),
            "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
            "LOCAL_FUNCTION_ARN": spec.arn,
            "_HANDLER": spec.handler,
            "PYTHONDONTWRITEBYTECODE": "1",
            **base_env,
            **spec.environment,
        }
        # The stack's own overrides (moto endpoint, emulator URL, fake credentials) win.
        env.update(
            {
                k: v
                for k, v in base_env.items()
                if k.startswith(("AWS_ENDPOINT_URL", "AWS_ACCESS", "AWS_SECRET"))
            }
        )
        if "BEDROCK_URL" in base_env and "BEDROCK_URL" in spec.environment:
            env["BEDROCK_URL"] = base_env["BEDROCK_URL"]
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(task_dir), *map(str, layer_dirs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=str(task_dir),
            text=True,
            bufsize=1,
        )
        self._replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue
        self._replies.put(None)

    def call(self, request_id: str, event: Any, timeout: float) -> dict[str, Any] | None:
        """The worker's reply, or None when it overran the timeout or died (it is then killed)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(
                json.dumps({"request_id": request_id, "event": event, "deadline": time.time() + timeout})
                + "\n"
            )
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return None
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            return None
        if reply is None:  # the environment exited mid-call: Lambda reports that, not a timeout
            self.kill()
            return {
                "ok": False,
                "error": {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited without answering",
                },
            }
        if reply.get("init_failed"):
            self.kill()
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass


class FunctionPool:
    """Execution environments of one function, started on demand up to ``max_workers``."""

    def __init__(
        self,
        spec: FunctionSpec,
        work_dir: Path,
        base_env: dict[str, str],
        log_sink: LogSink | None,
        max_workers: int = 4,
    ):
        self.spec = spec
        self.base_env = base_env
        self.log_sink = log_sink
        self.max_workers = max_workers
        self.task_dir = unpack(spec.code_zip, work_dir / "code")
        self.layer_dirs = [unpack(z, work_dir / "layers") for z in spec.layer_zips]
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._cond = threading.Condition()
        self._closed = False

    def _acquire(self, wait: float) -> _Worker | None:
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                if self._closed:
                    return None
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._all.remove(worker)
                if len(self._all) < self.max_workers:
                    worker = _SPAWNER.submit(
                        _Worker, self.spec, self.task_dir, self.layer_dirs, self.base_env
                    ).result()
                    self._all.append(worker)
                    return worker
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if worker.alive() and not self._closed:
                self._idle.append(worker)
            else:
                if worker in self._all:
                    self._all.remove(worker)
                worker.kill()
            self._cond.notify()

    def warm(self) -> None:
        """Start one environment ahead of the first request (imports happen on first invoke)."""
        worker = self._acquire(0)
        if worker is not None:
            self._release(worker)

    def invoke(self, event: Any, request_id: str | None = None) -> InvokeResult:
        request_id = request_id or str(uuid.uuid4())
        worker = self._acquire(wait=30)
        if worker is None:
            return InvokeResult(
                False, {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}
            )
        started = time.time()
        cold = worker.cold
        worker.cold = False
        reply = worker.call(request_id, event, float(self.spec.timeout))
        elapsed = (time.time() - started) * 1000
        self._release(worker)
        logs = [[int(started * 1000), f"START RequestId: {request_id} Version: $LATEST"]]
        if cold:
            logs.insert(
                0,
                [
                    int(started * 1000),
                    f"INIT_START Runtime Version: python:{sys.version_info.major}."
                    f"{sys.version_info.minor}.v1\tRuntime Version ARN: local",
                ],
            )
        if reply is None:
            now = int(time.time() * 1000)
            logs.append(
                [
                    now,
                    f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}Z {request_id} "
                    f"Task timed out after {self.spec.timeout:.2f} seconds",
                ]
            )
            result = InvokeResult(
                False,
                {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {self.spec.timeout:.2f} seconds",
                },
                timed_out=True,
                duration_ms=elapsed,
            )
        else:
            logs += reply.get("logs", [])
            result = InvokeResult(
                bool(reply.get("ok")),
                reply.get("result") if reply.get("ok") else reply.get("error"),
                duration_ms=reply.get("duration_ms") or elapsed,
            )
        now = int(time.time() * 1000)
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {result.duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, int(result.duration_ms + 0.999))} ms\t"
            f"Memory Size: {self.spec.memory} MB\tMax Memory Used: {min(self.spec.memory, 90)} MB"
        )
        if reply and reply.get("init_ms") is not None:
            report += f"\tInit Duration: {reply['init_ms']:.2f} ms"
        logs += [[now, f"END RequestId: {request_id}"], [now, report]]
        if self.log_sink is not None:
            self.log_sink(self.spec.log_group, worker.stream, logs)
        return result

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers, self._all, self._idle = list(self._all), [], []
            self._cond.notify_all()
        for worker in workers:
            worker.kill()


class CloudWatchSink:
    """Ships log events to (moto's) CloudWatch Logs, one stream per execution environment."""

    def __init__(self, logs_client: Any):
        self.client = logs_client
        self._streams: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, group: str, stream: str, events: list[list[Any]]) -> None:
        if not events:
            return
        # CloudWatch wants events in time order; lines of one invocation share a clock.
        ordered = sorted(((int(ms), line if line else " ") for ms, line in events), key=lambda e: e[0])
        with self._lock:
            if (group, stream) not in self._streams:
                exists = self.client.exceptions.ResourceAlreadyExistsException
                with contextlib.suppress(exists):
                    self.client.create_log_group(logGroupName=group)
                with contextlib.suppress(exists):
                    self.client.create_log_stream(logGroupName=group, logStreamName=stream)
                self._streams.add((group, stream))
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": ms, "message": line} for ms, line in ordered],
        )


# The Lambda Invoke API as the functions' boto3 calls it (AWS_ENDPOINT_URL_LAMBDA points here).
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class InvokeApi:
    """Invoke, RequestResponse or Event (asynchronous: answered 202, run on a thread), of the
    stack's own functions, by name or ARN. Lambda retries a failed asynchronous invocation twice,
    after a minute and two; here it runs once and its failure is only logged."""

    def __init__(self, pools: dict[str, FunctionPool]):
        self.pools = pools

    def _pool(self, name: str) -> FunctionPool | None:
        name = urllib.parse.unquote(name)
        for arn, pool in self.pools.items():
            if name in (arn, pool.spec.name) or name.endswith(f":function:{pool.spec.name}"):
                return pool
        return None

    def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any] | None:
        match = INVOKE_PATH.match(path)
        if match is None:
            return None
        pool = self._pool(match["name"])
        if pool is None:
            return 404, {"Type": "User", "message": f"Function not found: {match['name']}"}
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return 400, {"Type": "User", "message": "Could not parse request body into json"}
        if headers.get("x-amz-invocation-type", "RequestResponse") == "Event":
            name = f"async-{pool.spec.name}"
            threading.Thread(target=pool.invoke, args=(event,), name=name, daemon=True).start()
            return 202, {}
        result = pool.invoke(event)
        return 200, result.payload
