"""make plan / deploy / destroy / validate for one configs.json entry (STACK=<prefix> picks it).

State lives in build/deploy/<prefix>/ (or the entry's S3 backend), never where the local stack
or the tests keep theirs. Deploying prints the outputs and writes them to
build/deploy/<prefix>/outputs.json, which the web console and the Postman environment read.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a plain script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import tf  # noqa: E402
from scripts.build import BuildError, build_all, render_tfvars  # noqa: E402
from scripts.config import ROOT, ConfigError, StackConfig, load_configs, select  # noqa: E402

BUILD_DIR = ROOT / "build"
PRINTED_OUTPUTS = (
    "api_url",
    "user_pool_id",
    "client_id",
    "cloudfront_domain",
    "web_url",
    "table_name",
    "region",
)


class CredentialsMissing(RuntimeError):
    """No AWS credentials: nothing is sent to Terraform."""


def check_credentials(config: StackConfig) -> None:
    """Stop before Terraform when boto3 would find no credentials."""
    import boto3

    credentials = boto3.Session(region_name=config.region).get_credentials()
    if credentials is None:
        raise CredentialsMissing(
            "No AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run where an instance/OIDC role is available), then run the command again. "
            "To try everything without AWS, use `make demo` (the local stack)."
        )
    if os.environ.get("AWS_ENDPOINT_URL"):
        raise CredentialsMissing(
            "AWS_ENDPOINT_URL is set: make deploy targets real AWS only. Unset it, or use `make local-up`."
        )


def state_dir(config: StackConfig) -> Path:
    return BUILD_DIR / "deploy" / config.stack_prefix


def _stack(config: StackConfig) -> tf.Stack:
    build_all(config, BUILD_DIR)
    stack = tf.prepare(state_dir(config), config.state_backend)
    render_tfvars(config, stack.tfvars, BUILD_DIR)
    tf.init(stack, config.state_backend)
    return stack


def _account_client(config: StackConfig):
    from scripts.deploy_check import session_client

    return session_client(config.region)


def _in_state(stack: tf.Stack) -> tuple[list[str], dict]:
    """(managed resource addresses, outputs) of the state; empty for a first deployment."""
    try:
        return tf.state_resources(stack), tf.output(stack)
    except tf.TerraformError:
        return [], {}


def settle(config: StackConfig, stack: tf.Stack, client=None) -> tuple[StackConfig, str, list[str]]:
    """What this apply renders, decided from the account and the state (read-only):

    - the API Gateway account role: MANAGE_API_GATEWAY_ACCOUNT false uses the account's existing
      role; with none set (stage logging needs one), or when this state already manages it, the
      stack manages it;
    - the console's origin for CORS: the web_url of an earlier apply (second step), else none yet.

    Returns (config to render, console_origin, notes to print).
    """
    from scripts.deploy_check import api_gateway_role

    resources, outputs = _in_state(stack)
    notes = []
    if not config.manage_api_gateway_account:
        managed = any(".aws_api_gateway_account." in address for address in resources)
        role = api_gateway_role(client or _account_client(config))
        if managed or role == "":
            config = dataclasses.replace(config, manage_api_gateway_account=True)
            notes.append(
                "API Gateway account: "
                + (
                    "this stack manages the role it set earlier"
                    if managed
                    else "no CloudWatch role set in this Region: this stack sets its own"
                )
            )
        else:
            notes.append(f"API Gateway account: using the existing role {role or '(could not read it)'}")
    console_origin = ""
    if config.web_console and not config.cors_origin:
        console_origin = outputs.get("web_url") or ""
    return config, console_origin, notes


def report_model_access(config: StackConfig, client=None) -> list[str]:
    """Lines naming the enabled models this account cannot call yet (Bedrock control plane, read-only)."""
    from scripts.deploy_check import enabled_models, model_access

    answers = model_access(client or _account_client(config), enabled_models(config))
    blocked = [f"  {model_id}: {why}" for model_id, (ok, why) in answers.items() if ok is False]
    unknown = sorted({why for ok, why in answers.values() if ok is None})
    lines = []
    if blocked:
        lines += [
            "Enabled models this account cannot call yet (callers get 403; docs/deploy.md#model-access):",
            *blocked,
        ]
    if unknown:
        count = sum(1 for ok, _ in answers.values() if ok is None)
        lines.append(f"Model access of {count} model(s) not checked: {unknown[0]}")
    if not blocked and not unknown:
        lines.append(f"Model access: all {len(answers)} enabled model(s) callable")
    return lines


def put_signing_key(config: StackConfig, outputs: dict) -> str:
    """Give the signing secret Terraform declared its keyring, if it has none yet (the value never
    passes through Terraform)."""
    import boto3

    from scripts import signing_key

    client = boto3.client("secretsmanager", region_name=config.region)
    return signing_key.ensure(client, outputs["signing_secret_arn"])


def run(command: str, config: StackConfig) -> int:
    if command == "validate":
        stack = tf.prepare(BUILD_DIR / "validate")
        tf.init(stack)
        print(tf.validate(stack).stdout.strip())
        return 0
    check_credentials(config)
    stack = _stack(config)
    if command in ("plan", "deploy"):
        config, console_origin, notes = settle(config, stack)
        render_tfvars(config, stack.tfvars, BUILD_DIR, console_origin=console_origin)
        print("\n".join(notes))
    if command == "plan":
        changed, result = tf.plan(stack)
        print(result.stdout)
        print(f"{'changes pending' if changed else 'no changes'} ({result.seconds:.0f} s)")
        return 0
    if command == "deploy":
        try:
            result = tf.apply(stack)
        except tf.TerraformError as exc:
            _, partial = _in_state(stack)
            if partial.get("signing_secret_arn"):
                put_signing_key(config, partial)  # the backend signs its usage lines even so
            if config.web_console and partial.get("api_url"):
                raise tf.TerraformError(
                    f"{exc}\n\nThe backend is deployed and answers at {partial['api_url']}; the console "
                    "failed. If CloudFront refused the account, see docs/deploy.md#cloudfront-verification, "
                    "or set WEB_CONSOLE false and run make deploy again."
                ) from None
            raise
        print(result.stdout[-3000:])
        outputs = tf.output(stack)
        if (
            config.web_console
            and not config.cors_origin
            and outputs.get("web_url") not in ("", None, console_origin)
        ):
            print(f"Second step: narrowing the API's CORS origin to the console, {outputs['web_url']}")
            render_tfvars(config, stack.tfvars, BUILD_DIR, console_origin=outputs["web_url"])
            second = tf.apply(stack)
            result = dataclasses.replace(result, seconds=result.seconds + second.seconds)
            outputs = tf.output(stack)
        kid = put_signing_key(config, outputs)
        target = tf.write_outputs(stack, outputs)
        width = max(map(len, PRINTED_OUTPUTS))
        print(f"\n{config.stack_prefix} deployed in {result.seconds:.0f} s:")
        for name in PRINTED_OUTPUTS:
            print(f"  {name:<{width}}  {outputs.get(name, '')}")
        print(f"  signing key in use: {kid} (value in {outputs['signing_secret_arn']}, never printed)")
        print(f"  outputs written to {target.relative_to(ROOT)}")
        print("\n".join(report_model_access(config)))
        return 0
    if command == "destroy":
        # The same variables as the last apply, so destroy plans against what exists.
        config, console_origin, _ = settle(config, stack)
        render_tfvars(config, stack.tfvars, BUILD_DIR, console_origin=console_origin)
        result = tf.destroy(stack)
        print(result.stdout[-3000:])
        (state_dir(config) / "outputs.json").unlink(missing_ok=True)
        print(f"{config.stack_prefix} destroyed in {result.seconds:.0f} s")
        return 0
    raise ValueError(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plan, deploy or destroy one configs.json entry")
    parser.add_argument("command", choices=("validate", "plan", "deploy", "destroy"))
    parser.add_argument("--stack", default=os.environ.get("STACK") or None)
    args = parser.parse_args(argv)
    try:
        config = select(load_configs(), args.stack)
        return run(args.command, config)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
    except CredentialsMissing as exc:
        print(f"stopped before Terraform: {exc}", file=sys.stderr)
    except (BuildError, tf.TerraformError) as exc:
        print(f"{args.command} failed:\n{exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
