"""Site generator: ``console/js/member-rules.js``, the single-entry form's fields and choices and
the archive upload's limits, written from their one definition at build time — never typed
into the site by hand (DESIGN "Shape").

- the member fields (name, required or not, dropdown choices) are the member template's own
  columns, :data:`zhtj.imports.definitions.MEMBER_TEMPLATE`: the single entry is checked by the
  import's rules (``zhtj.services.members.entry_from_form``), so the form offers exactly the
  spreadsheet's dropdowns (性别, 民族, 政治面貌, 在读状况, 全日制学历) and marks the same
  columns as required;
- the archive limits are the ones the presigned POST and the worker apply
  (``zhtj.services.archives.MAX_ARCHIVE_BYTES``, ``CONTENT_TYPE``), so the page refuses a file
  that is too large before uploading it, with the worker's own limit in the message.

Registered in infra/mkdocs_hooks.py ``GENERATORS`` as
``"infra.site_generators.member_rules:generate"``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from zhtj.imports.definitions import MEMBER_TEMPLATE
from zhtj.services.archives import CONTENT_TYPE, MAX_ARCHIVE_BYTES

URI = "console/js/member-rules.js"


class SiteContent(Protocol):  # what infra/mkdocs_hooks.SiteContent offers (never imported, see there)
    def add_file(self, uri: str, content: bytes | str, *, title: str | None = None,
                 description: str = "") -> None: ...


def member_fields() -> list[dict[str, Any]]:
    """The member template's columns as the form uses them, in the template's order."""
    return [{"name": c.name, "required": c.required, "choices": list(c.choices)} for c in MEMBER_TEMPLATE.columns]


def module_text() -> str:
    def js(value: Any) -> str:
        if isinstance(value, list) and value and isinstance(value[0], dict):  # one item per line
            return "[\n" + "".join(f"  {json.dumps(item, ensure_ascii=False)},\n" for item in value) + "]"
        return json.dumps(value, ensure_ascii=False)

    def const(name: str, value: Any, doc: str) -> str:
        return f"/** {doc} */\nexport const {name} = {js(value)};\n\n"

    return "".join([
        "// 生成的文件：由 infra/site_generators/member_rules.py 在构建站点时写出，不要手工修改。\n"
        "// 来源：zhtj.imports.definitions.MEMBER_TEMPLATE（团员导入模板的列、必填项和下拉选项）与\n"
        "// zhtj.services.archives（档案上传的大小上限和文件类型）。接口始终会再检查一遍。\n\n",
        const("MEMBER_FIELDS", member_fields(), "团员信息的各项（与导入模板的列相同）：名称、是否必填、下拉选项。"),
        const("ARCHIVE_MAX_BYTES", MAX_ARCHIVE_BYTES, "《入团志愿书》PDF 的大小上限（字节，操作指引 4.1）。"),
        const("ARCHIVE_CONTENT_TYPE", CONTENT_TYPE, "档案文件的类型。"),
    ])


def generate(site: SiteContent) -> None:
    site.add_file(URI, module_text())
