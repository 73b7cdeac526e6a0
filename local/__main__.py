"""python -m local {run|up|down|aggregate|status}: the entry points behind make demo, local-up,
local-down and local-aggregate.

- run        the whole stack in the foreground until Ctrl-C (make demo)
- up         the same in the background; returns once everything answers (make local-up)
- down       stop a background stack; nothing is left running (make local-down)
- aggregate  run the scheduled aggregator now (make local-aggregate)
- focus-export  write the FOCUS export of MONTH now (make focus-export MONTH=YYYY-MM)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from local.settings import Ports, state_dir

READY = "ready.json"
PID = "stack.pid"


def _summary(outputs: dict) -> str:
    lines = [
        "",
        "Local stack ready "
        f"(in {outputs.get('ready_seconds', '?')} s). Outputs: {state_dir() / 'outputs.json'}",
        f"  API          {outputs['api_url']}",
        f"  web console  {outputs['web_url']}",
        f"  AWS (moto)   {outputs['aws_endpoint_url']}   region {outputs['region']}",
        f"  Bedrock      {outputs['bedrock_url']}",
        f"  user pool    {outputs['user_pool_id']}   app client {outputs['client_id']}",
        "  users:",
    ]
    for user in outputs["users"]:
        role = "admin" if user["admin"] else f"tenant {user['tenant_id']}"
        lines.append(f"    {user['username']:14} {user['password']:22} {role}")
    for user in outputs.get("plan_users") or []:
        role = f"tenant {user['tenant_id']} (plan refusals: {user['refusal']})"
        lines.append(f"    {user['username']:14} {user['password']:22} {role}")
    return "\n".join(lines) + "\n"


def _stop_signals(handler) -> None:
    # SIGINT explicitly too: a shell that starts us in the background leaves it ignored.
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def cmd_run(args) -> int:
    from local.stack import LocalStack

    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / READY).unlink(missing_ok=True)
    (directory / "outputs.json").unlink(missing_ok=True)  # never leave a stale one behind
    stack = LocalStack(
        Ports.from_env(),
        directory,
        stack=os.environ.get("STACK") or None,
        say=lambda text: print(text, flush=True),
    )

    def stop(signum, frame):
        raise KeyboardInterrupt

    _stop_signals(stop)
    code = 0
    try:
        outputs = stack.start()
        print(_summary(outputs), flush=True)
        (directory / READY).write_text(json.dumps({"pid": os.getpid()}))
        print("Press Ctrl-C to stop." if not args.background else "Running in the background.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping the local stack ...", flush=True)
    except Exception as exc:  # noqa: BLE001 - say what failed, then clean up
        print(f"local stack failed: {str(exc)[:3000]}", file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        (directory / READY).unlink(missing_ok=True)
        (directory / PID).unlink(missing_ok=True)
        print("local stack stopped.", flush=True)
    return code


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cmd_up(args) -> int:
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    pid_file = directory / PID
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        print(
            f"the local stack is already running (pid {pid_file.read_text()}); make local-down first",
            file=sys.stderr,
        )
        return 1
    (directory / READY).unlink(missing_ok=True)
    log_path = directory / "stack.log"
    log = log_path.open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "run", "--background"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so local-down can stop all of it
    )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if (directory / READY).exists():
            outputs = json.loads((directory / "outputs.json").read_text())
            print(_summary(outputs), end="")
            print(f"local-up: ready in {time.monotonic() - started:.1f} s; log: {log_path}")
            return 0
        if process.poll() is not None:
            break
        time.sleep(0.5)
    print(f"local-up failed; last lines of {log_path}:", file=sys.stderr)
    lines = log_path.read_text(errors="replace").splitlines()
    failed = [i for i, line in enumerate(lines) if line.startswith("local stack failed")]
    print("\n".join(lines[failed[0] : failed[0] + 40] if failed else lines[-30:]), file=sys.stderr)
    _stop_group(process.pid)
    pid_file.unlink(missing_ok=True)
    return 1


def _stop_group(pid: int, grace: float = 20) -> None:
    """SIGTERM the stack (it stops its children), then SIGKILL its process group if anything stays."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # the group this stack was started in (start_new_session)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def cmd_down(args) -> int:
    directory = state_dir()
    pid_file = directory / PID
    if not pid_file.exists():
        print("local-down: no local stack is running")
        return 0
    pid = int(pid_file.read_text())
    _stop_group(pid)
    time.sleep(0.3)
    left = _group_members(pid)
    pid_file.unlink(missing_ok=True)
    (directory / READY).unlink(missing_ok=True)
    if left:
        print(f"local-down: processes still running: {left}", file=sys.stderr)
        return 1
    print("local-down: stopped; no process left")
    return 0


def cmd_aggregate(args) -> int:
    directory = state_dir()
    outputs_file = directory / "outputs.json"
    if not (directory / READY).exists() or not outputs_file.exists():
        print("local-aggregate: the local stack is not running (make local-up)", file=sys.stderr)
        return 1
    outputs = json.loads(outputs_file.read_text())
    today = dt.datetime.now(dt.UTC).date()
    if args.date:
        overrides = {"date": args.date}
    else:
        # The scheduled run does yesterday; now, include today too, so a demo sees its calls.
        overrides = {"start_date": (today - dt.timedelta(days=1)).isoformat(), "end_date": today.isoformat()}
    overrides["_schedule"] = "cost_tracking"  # not the month-close statements run
    api_port = outputs["api_url"].split("//", 1)[1].split("/", 1)[0]
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://{api_port}/_local/schedules/run", data=json.dumps(overrides).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - loopback
        runs = json.load(response)["runs"]
    for run in runs:
        print(json.dumps(run, indent=2, default=str))
    return 0 if runs and all(run["ok"] for run in runs) else 1


def cmd_focus_export(args) -> int:
    """Run the FOCUS export now, for one month (docs/focus.md)."""
    directory = state_dir()
    outputs_file = directory / "outputs.json"
    if not (directory / READY).exists() or not outputs_file.exists():
        print("focus-export: the local stack is not running (make local-up)", file=sys.stderr)
        return 1
    body: dict = {"_schedule": "focus_export"}
    if args.month:
        body["month"] = args.month
    outputs = json.loads(outputs_file.read_text())
    api_port = outputs["api_url"].split("//", 1)[1].split("/", 1)[0]
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://{api_port}/_local/schedules/run", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - loopback
        runs = json.load(response)["runs"]
    for run in runs:
        print(json.dumps(run, indent=2, default=str))
    return 0 if runs and all(run["ok"] for run in runs) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="foreground until Ctrl-C")
    run.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    up = sub.add_parser("up", help="background; returns once everything answers")
    up.add_argument("--timeout", type=float, default=float(os.environ.get("LOCAL_UP_TIMEOUT", "300")))
    sub.add_parser("down", help="stop the background stack")
    aggregate = sub.add_parser("aggregate", help="run the scheduled aggregator now")
    aggregate.add_argument(
        "--date", default=os.environ.get("DATE") or None, help="YYYY-MM-DD (default: yesterday..today)"
    )
    focus_export = sub.add_parser("focus-export", help="write the FOCUS export of a month now")
    focus_export.add_argument(
        "--month", default=os.environ.get("MONTH") or None, help="YYYY-MM (default: as scheduled)"
    )
    args = parser.parse_args(argv)
    commands = {"run": cmd_run, "up": cmd_up, "down": cmd_down, "aggregate": cmd_aggregate}
    return {**commands, "focus-export": cmd_focus_export}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
