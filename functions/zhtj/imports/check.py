"""The full offline path of an import: read the file as a template, validate every row.

This is what ``zhtj check-import`` runs, and the first half of what the import service runs
before it applies the stored-state rules (segments, uniqueness across the system, quota,
subtree) to the same ``RowResult`` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from zhtj.imports.definitions import TEMPLATES, TemplateDefinition
from zhtj.imports.gcpause import paused_gc
from zhtj.imports.reading import ImportFile, ImportRow, read_import_file
from zhtj.imports.validation import RowResult, RowValidator
from zhtj.readers.spreadsheet import DEFAULT_LIMITS, ReadLimits


@dataclass(frozen=True, slots=True)
class ImportCheck:
    file: ImportFile
    results: list[RowResult]

    @property
    def definition(self) -> TemplateDefinition:
        return self.file.definition

    @property
    def failed(self) -> list[RowResult]:
        return [result for result in self.results if result.errors]

    @property
    def ok_rows(self) -> int:
        return sum(1 for result in self.results if not result.errors)

    def summary(self) -> str:
        """The seed's own wording (录入操作步骤 §三.4), as a dry run."""
        return f"共{len(self.results)}行：{self.ok_rows}行可以导入，{len(self.failed)}行导入失败"

    def to_json_dict(self) -> dict[str, object]:
        return {
            "rows": len(self.results),
            "ok_rows": self.ok_rows,
            "failed": [result.to_dict() for result in self.failed],
        }


def check_import(
    data: bytes,
    filename: str = "",
    *,
    today: date,
    definitions: Sequence[TemplateDefinition] = tuple(TEMPLATES.values()),
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ImportCheck:
    """Raises ``TemplateRefused`` when the file is no readable template.

    Rows are validated part by part as the reader delivers them, while its child process
    still converts the rest of the sheet (bench/bench_import_read.py measures the gain)."""
    validators: list[RowValidator] = []

    def validate(definition: TemplateDefinition, rows: list[ImportRow]) -> None:
        if not validators:
            validators.append(RowValidator(definition, today))
        validators[0].add(rows)

    with paused_gc():
        imported = read_import_file(data, filename, definitions=definitions, limits=limits, on_rows=validate)
        return ImportCheck(imported, validators[0].finish())
