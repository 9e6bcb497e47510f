"""A block of template.yaml that a generator writes between two marker lines.

Generated resources live *in* template.yaml, not in a file joined at deploy time, so that
``sam deploy``, ``sam validate`` and cfn-lint see the stack as it is deployed and a reviewer
reads the resources where the stack uses them. Each generator (cloudfront_headers,
ses_templates) renders its block, and a unit test fails when the file's block differs.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

END = "  # END generated\n"


@dataclass(frozen=True)
class GeneratedBlock:
    begin: str
    what: str  # for the messages: "response-headers policies", "SES templates"
    end: str = END

    def _span(self, template_text: str) -> tuple[int, int]:
        start = template_text.find(self.begin)
        end = template_text.find(self.end, start)
        if start < 0 or end < 0:
            raise ValueError(f"template.yaml has no generated block for the {self.what} "
                             f"(the lines {self.begin.strip()!r} … {self.end.strip()!r})")
        return start, end + len(self.end)

    def current(self, template_text: str) -> str:
        start, end = self._span(template_text)
        return template_text[start:end]

    def replace(self, template_text: str, block: str) -> str:
        start, end = self._span(template_text)
        return template_text[:start] + block + template_text[end:]

    def render(self, resources: Mapping[str, Any], dumper: type[yaml.SafeDumper] = yaml.SafeDumper) -> str:
        """The block: the resources indented as under ``Resources:``, one blank line apart (a blank
        line of a literal block stays empty: no trailing spaces)."""
        parts = []
        for logical_id, resource in resources.items():
            text = yaml.dump({logical_id: resource}, Dumper=dumper, sort_keys=False, allow_unicode=True,
                             width=10_000)
            parts.append("".join(f"  {line}\n" if line else "\n" for line in text.splitlines()))
        return self.begin + "\n".join(parts) + self.end

    def update(self, template: Path, block: str, *, check: bool) -> int:
        """Rewrite ``template``'s block (or, with ``check``, print the difference and return 1)."""
        text = template.read_text(encoding="utf-8")
        current = self.current(text)
        if current == block:
            print(f"{template}: {self.what} up to date")
            return 0
        if check:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(keepends=True),
                                                       block.splitlines(keepends=True), "template.yaml", "generated"))
            return 1
        template.write_text(self.replace(text, block), encoding="utf-8")
        print(f"{template}: {self.what} rewritten")
        return 0
