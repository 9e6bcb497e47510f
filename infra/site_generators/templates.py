"""Site generator: the import templates as downloads on the 下载 page (录入操作步骤 §二–§三:
「导入模板下载」), generated from their one definition (zhtj.imports.definitions) with the
same deterministic bytes as ``zhtj template members|branches``.

Registered in infra/mkdocs_hooks.py ``GENERATORS`` as ``"infra.site_generators.templates:generate"``.
"""

from __future__ import annotations

from typing import Protocol

from zhtj.imports.definitions import BRANCH_TEMPLATE, MEMBER_TEMPLATE
from zhtj.imports.generation import template_xlsx

# ASCII file names: some mail gateways and old browsers mangle Chinese download names.
DOWNLOADS = (
    (MEMBER_TEMPLATE, "downloads/zhtj-member-import-template.xlsx",
     "批量录入团员：每行一名新发展团员；身份证号码、手机号码、发展团员编号列已设为文本格式，含填写说明。"),
    (BRANCH_TEMPLATE, "downloads/zhtj-branch-import-template.xlsx",
     "批量创建下级组织（团支部等）：组织类别、单位所属行业类别等均为下拉选择，含填写说明。"),
)


class SiteContent(Protocol):  # what infra/mkdocs_hooks.SiteContent offers (never imported, see there)
    def add_file(self, uri: str, content: bytes | str, *, title: str | None = None,
                 description: str = "") -> None: ...


def generate(site: SiteContent) -> None:
    for definition, uri, description in DOWNLOADS:
        site.add_file(uri, template_xlsx(definition), title=definition.file_name, description=description)
