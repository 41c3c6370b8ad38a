"""axe-core in the browser tests: ``assert_accessible(page)`` injects the vendored
``vendor/axe.min.js`` (see vendor/README.md) into the page and fails on any violation of axe's
default rules (WCAG 2 A/AA and best practices), naming each rule and the elements it found."""

from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


def describe(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def assert_accessible(page, name=""):
    violations = axe_violations(page)
    assert not violations, f"axe found violations on {name or page.url}:\n{describe(violations)}"
