"""axe-core, Deque's accessibility rules engine, run in the page under test.

axe-core/ holds axe.min.js as published on the npm registry (version and integrity in
axe-core/VERSION; `tests/web/a11y/update-axe` replaces it). It is kept in the repository so the
browser suite needs no network; its licence (MPL-2.0) is beside it.
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).with_name("axe-core") / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices (landmarks, headings, one main…).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def violations(page, context: str | None = None) -> list[dict]:
    """axe's violations on the page as it stands (shadow roots included), as plain dicts.

    The page's context must allow an injected script: the tests open it with bypass_csp (the pages'
    own CSP forbids inline and foreign scripts, as it should)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async ([context, tags]) => {
            const result = await axe.run(context || document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200), summary: n.failureSummary}))}));
        }""", [context, TAGS])


def report(found: list[dict]) -> str:
    """The violations, one block each, for an assertion's message."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)
