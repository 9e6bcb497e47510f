"""The organisation import template 「智慧团建导入下级组织数据模板」 (录入操作步骤 §二:
单个或批量导入团支部).

A re-export: the definition lives in ``zhtj.imports.definitions`` (see ``templates/__init__``
for why). Generate the file with ``zhtj template branches -o FILE``.
"""

from __future__ import annotations

from zhtj.imports.definitions import BRANCH_TEMPLATE, CREATABLE_ORG_KINDS

__all__ = ["BRANCH_TEMPLATE", "CREATABLE_ORG_KINDS"]

if __name__ == "__main__":
    from templates import markdown_table

    print(markdown_table(BRANCH_TEMPLATE))
