"""axe-core in the browser tests: the console must meet WCAG 2 A/AA as axe checks it.

axe-core comes from npm (pinned in package.json, installed by `make node-deps`). It is evaluated
through the DevTools protocol (page.evaluate), which the page's Content-Security-Policy does not
govern, so the console is checked with its CSP in force.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = json.loads((REPO / "package.json").read_text())["devDependencies"]["axe-core"]
# WCAG 2.0, 2.1 and 2.2 levels A and AA, plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page) -> list[dict]:
    """Every axe violation on the page as it is now (hidden parts are not checked, as axe does)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make node-deps` (npm ci)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;undefined")
        assert page.evaluate("axe.version") == AXE_VERSION
    return page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
            const result = await axe.run(document, options);
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }""",
        TAGS,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"])
    return "\n".join(lines)
