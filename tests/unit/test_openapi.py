"""docs/openapi.json, docs/api.md and the Postman collection tell the same story.

The OpenAPI document is what schemathesis fuzzes the local stack with (tests/e2e/test_schemathesis.py);
these checks keep it from drifting away from the prose contract and from the collection users run.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator

from local.gateway import ApiConfig, Gateway, GatewayResponse, make_server
from local.stack import OPENAPI_FILE, OPENAPI_PATH, openapi_document

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
API_MD = (REPO / "docs" / "api.md").read_text()
SPEC = json.loads(OPENAPI_FILE.read_text())
COLLECTION = json.loads((REPO / "postman" / "bedrock-token-profiler.postman_collection.json").read_text())
# Collection variables a pre-request script fills in, with a value of the shape it sets.
VARIABLE_EXAMPLES = {"statement_month": "2026-11"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _operations() -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _doc_routes() -> dict[tuple[str, str], str]:
    """(method, path) -> the text of its section, from the `### \\`POST /route...\\`` headings."""
    sections = re.split(r"^### ", API_MD, flags=re.M)
    routes = {}
    for section in sections[1:]:
        heading = section.splitlines()[0]
        match = re.match(r"`(GET|POST|PUT|DELETE|PATCH) (/[a-z_]+)", heading)
        if match:
            routes[(match[1], match[2])] = section
    return routes


def _doc_error_statuses() -> set[int]:
    """The statuses of the error table ("| 413 / 431 | ..." counts both)."""
    table = API_MD.split("### Errors", 1)[1].split("\n\n", 3)
    statuses = set()
    for line in "\n\n".join(table).splitlines():
        cell = re.match(r"^\|\s*([0-9][0-9 /]*[0-9])\s*\|", line)
        if cell:
            statuses |= {int(s) for s in re.findall(r"\d{3}", cell[1])}
    return statuses


def _spec_statuses() -> set[int]:
    statuses = {int(s) for op in _operations().values() for s in op["responses"]}
    return statuses | {int(s) for s in SPEC.get("x-gateway-responses", {})}


def _validator(schema: dict) -> Draft202012Validator:
    """A validator for a schema of the document, with its #/components references resolvable."""
    return Draft202012Validator({**schema, "components": SPEC["components"]})


def _api_requests() -> list[dict]:
    found = []

    def walk(items):
        for item in items:
            if "item" in item:
                walk(item["item"])
            elif "{{api_url}}" in json.dumps(item["request"]["url"]):
                found.append(item)

    walk(COLLECTION["item"])
    return found


def _expected_statuses(item: dict) -> set[int]:
    tests = [event["script"]["exec"] for event in item.get("event", []) if event["listen"] == "test"]
    script = "\n".join(line for lines in tests for line in lines)
    statuses = {int(s) for s in re.findall(r"have\.status\((\d{3})\)", script)}
    for group in re.findall(r"response\.code\)\.to\.be\.oneOf\(\[([^\]]*)\]", script):
        statuses |= {int(s) for s in re.findall(r"\d{3}", group)}
    return statuses


def test_the_document_is_openapi_3_1_with_valid_schemas():
    assert SPEC["openapi"].startswith("3.1.")
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    scheme = SPEC["components"]["securitySchemes"]["CognitoIdToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Auth")
    assert SPEC["security"] == [{"CognitoIdToken": []}]
    # Every reference points at something.
    for target in re.findall(r'"\$ref": "#/([^"]+)"', OPENAPI_FILE.read_text()):
        node = SPEC
        for part in target.split("/"):
            node = node[part]


def test_every_documented_route_is_in_the_spec_and_back():
    documented = set(_doc_routes())
    routes = (
        "/invoke_model",
        "/cost_track_manual",
        "/ddb_cost_retrieval",
        "/tenant_plan",
        "/tenant_status",
        "/statements",
        "/statement_download",
        "/statement_generate",
        "/tenants",
        "/tenant_create",
        "/tenant_update",
        "/tenant_user",
    )
    assert documented == {("POST", route) for route in routes}
    assert set(_operations()) == documented


def test_every_error_status_of_the_docs_is_in_the_spec_and_back():
    documented = _doc_error_statuses()
    assert {400, 401, 403, 404, 429, 500, 502, 504} <= documented  # the table was read
    spec = {s for s in _spec_statuses() if s >= 400}
    assert spec == documented, f"only in docs: {documented - spec}; only in the spec: {spec - documented}"


def test_every_success_status_is_documented_for_its_route():
    sections = _doc_routes()
    for key, operation in _operations().items():
        successes = {int(s) for s in operation["responses"] if s.startswith("2")}
        assert 200 in successes, key
        for status in successes - {200}:
            assert re.search(rf"\b{status}\b", sections[key]), f"{key}: {status} is not in its api.md section"


def test_every_operation_answers_json_and_needs_the_auth_header():
    for key, operation in _operations().items():
        assert "security" not in operation, key  # the document-wide Auth header applies
        assert "401" in operation["responses"], key
        for status, response in operation["responses"].items():
            if "$ref" in response:
                response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            assert list(response["content"]) == ["application/json"], (key, status)


def test_every_postman_request_matches_an_operation():
    requests = _api_requests()
    assert len(requests) >= 7
    operations = _operations()
    covered = set()
    for item in requests:
        request = item["request"]
        url = request["url"] if isinstance(request["url"], str) else request["url"]["raw"]
        path, _, query = url.removeprefix("{{api_url}}").partition("?")
        key = (request["method"], path)
        assert key in operations, f"{item['name']}: {key} is not in the spec"
        covered.add(key)
        operation = operations[key]
        expected = _expected_statuses(item)
        assert expected, f"{item['name']}: the collection checks no status"
        assert expected <= {int(s) for s in operation["responses"]}, f"{item['name']}: {expected}"
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        sent = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
        assert sent <= names, f"{item['name']}: query {sent - names} not in the spec"
        required = {p["name"] for p in operation.get("parameters", []) if p.get("required")}
        assert required <= sent, f"{item['name']}: misses {required - sent}"
        headers = {h["key"] for h in request.get("header", [])}
        if expected & {200, 202}:
            assert "Auth" in headers, item["name"]
            raw = (request.get("body") or {}).get("raw", "")
            for name, example in VARIABLE_EXAMPLES.items():  # what the collection's scripts set
                raw = raw.replace("{{" + name + "}}", example)
            body = json.loads(raw) if raw.strip() else None
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            if body is not None:
                errors = [e.message for e in _validator(schema).iter_errors(body)]
                assert not errors, f"{item['name']}: {errors}"
        if expected == {401}:
            assert "Auth" not in headers, item["name"]
    assert covered == set(operations)


def test_the_local_gateway_serves_the_document_outside_the_stage():
    not_found = {"MISSING_AUTHENTICATION_TOKEN": GatewayResponse(status=404)}
    config = ApiConfig(api_id="a1", stage="s_prod", routes={}, responses=not_found)
    gateway = Gateway(config, None, invoke=None)
    gateway.documents[OPENAPI_PATH] = ("application/json", openapi_document("http://127.0.0.1:9/s_prod"))
    status, headers, body = gateway.handle("GET", OPENAPI_PATH, [], b"", "127.0.0.1")
    assert status == 200 and headers["Content-Type"] == "application/json"
    served = json.loads(body)
    assert served["servers"] == [{"url": "http://127.0.0.1:9/s_prod", "description": "this local stack"}]
    del served["servers"]
    assert served == {k: v for k, v in SPEC.items() if k != "servers"}
    # Only GET/HEAD, and never inside the stage (no Lambda route answers it).
    assert gateway.handle("POST", OPENAPI_PATH, [], b"", "127.0.0.1")[0] == 404
    assert gateway.handle("GET", "/s_prod/openapi.json", [], b"", "127.0.0.1")[0] == 404


def test_a_method_no_route_has_gets_the_json_404_over_http():
    """schemathesis sent TRACE and QUERY: the local gateway answered with http.server's HTML 501."""
    not_found = {"MISSING_AUTHENTICATION_TOKEN": GatewayResponse(status=404)}
    gateway = Gateway(
        ApiConfig(api_id="a1", stage="s_prod", routes={}, responses=not_found), None, invoke=None
    )
    server = make_server(gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/s_prod/invoke_model"
        for method in ("TRACE", "QUERY", "PUT", "DELETE"):
            response = requests.request(method, url, timeout=10)
            assert response.status_code == 404, (method, response.text)
            assert response.headers["Content-Type"] == "application/json"
            assert response.json()["message"]
    finally:
        server.shutdown()
        server.server_close()
