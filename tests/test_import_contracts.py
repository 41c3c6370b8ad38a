"""The project's own import-linter contract type (``tests/import_contracts.py``), on small graphs."""

import grimp

from tests.import_contracts import StandardLibraryOnlyContract


def check(imports, *, allowed=("babel",)):
    """Check ``app.calc`` (a package with one submodule) importing ``imports`` (importer, imported)."""
    graph = grimp.ImportGraph()
    for module in ("app", "app.calc", "app.calc.rounding", "app.models"):
        graph.add_module(module)
    for line, (importer, imported) in enumerate(imports, start=1):
        if imported.split(".")[0] != "app":
            graph.add_module(imported.split(".")[0], is_squashed=True)
            imported = imported.split(".")[0]
        graph.add_import(importer=importer, imported=imported, line_number=line, line_contents="import")
    contract = StandardLibraryOnlyContract(
        name="calc",
        session_options={},
        contract_options={"source_modules": ["app.calc"], "allowed_modules": list(allowed)},
    )
    return contract.check(graph, verbose=False)


def test_the_standard_library_the_allowed_packages_and_itself_are_kept():
    result = check(
        [
            ("app.calc", "decimal"),
            ("app.calc", "collections.abc"),
            ("app.calc", "babel.numbers"),
            ("app.calc", "app.calc.rounding"),
            ("app.calc.rounding", "functools"),
        ]
    )
    assert result.kept


def test_any_other_package_breaks_it_with_the_importer_and_line():
    result = check([("app.calc", "decimal"), ("app.calc.rounding", "django.db"), ("app.calc", "app.models")])
    assert not result.kept
    assert result.metadata["illegal"] == [("app.calc", "app.models", "l.3"), ("app.calc.rounding", "django", "l.2")]


def test_a_package_is_allowed_only_when_listed():
    assert not check([("app.calc", "babel")], allowed=()).kept
