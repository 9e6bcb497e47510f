"""The member import template 「智慧团建导入团员团干部数据模板」 (录入操作步骤 §三).

A re-export: the definition lives in ``zhtj.imports.definitions`` (see ``templates/__init__``
for why). Generate the file with ``zhtj template members -o FILE``.
"""

from __future__ import annotations

from zhtj.imports.definitions import ETHNIC_GROUPS, FULL_TIME_EDUCATION, MEMBER_TEMPLATE, POLITICAL_STATUSES

__all__ = ["ETHNIC_GROUPS", "FULL_TIME_EDUCATION", "MEMBER_TEMPLATE", "POLITICAL_STATUSES"]

if __name__ == "__main__":
    from templates import markdown_table

    print(markdown_table(MEMBER_TEMPLATE))
