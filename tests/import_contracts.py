"""An import-linter contract type that the built-in ones cannot express (pyproject.toml).

``standard_library_only``: the source modules import nothing but Python's standard library,
the modules listed in ``allowed_modules`` and themselves. A ``forbidden`` contract names what
may not be imported; this one names what may, so a dependency added later is caught too
(billing.calc: the money rules stay plain Python and Babel, testable without Django).
Needs ``include_external_packages = true``, or imports of other packages are not in the graph.
"""

import sys

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class StandardLibraryOnlyContract(Contract):
    type_name = "standard_library_only"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        allowed = {module.name for module in self.allowed_modules or ()} | set(sys.stdlib_module_names)
        illegal = []
        for source in self.source_modules:
            if source.name not in graph.modules:
                raise ValueError(f"Module '{source.name}' does not exist.")
            for importer in sorted({source.name} | graph.find_descendants(source.name)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if imported.split(".")[0] in allowed or imported.startswith(f"{source.name}."):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({detail["line_number"] for detail in details})
                    illegal.append((importer, imported, ", ".join(f"l.{line}" for line in lines)))
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["illegal"]:
            output.print_error(f"{importer} imports {imported} ({lines}), which is not allowed here.")
            output.new_line()
