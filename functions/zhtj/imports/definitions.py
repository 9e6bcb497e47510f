"""The import templates as data: the one source of truth for columns, required marks,
dropdowns, text-format columns, hints and the 「填写说明」 sheet.

Everything else is derived from these definitions: the downloadable .xlsx files (generated,
never hand-made — ``zhtj.imports.generation``), header matching on upload
(``zhtj.imports.headers``), offline validation (``zhtj.imports.validation``) and the
failure report (``zhtj.imports.report``). The definitions live inside the ``zhtj`` package
because the Lambda functions ship only ``functions/`` (DESIGN "Shape"); ``templates/`` at
the repository root re-exports them for readers who look there first.

The seed's flow (录入操作步骤 §三.2–5): the admin downloads 「智慧团建导入团员团干部导入模板」,
fills it "按照导入模板的格式要求", uploads it, is told 「成功导入 xx 位团员，xx 位团员导入失败」
and downloads a spreadsheet with the failure reasons. §二 does the same for 团支部.

This module imports nothing heavy: the API Lambda imports it on its cold path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from zhtj.domain.glossary import Industry, OrgKind, StudyStatus

REQUIRED_MARK: Final = "*"
INSTRUCTIONS_SHEET: Final = "填写说明"
CHOICES_SHEET: Final = "下拉选项"  # hidden sheet the long dropdowns (民族: 56 items) refer to
FAILURE_COLUMN: Final = "失败原因"  # last column of the failure report; ignored on upload
# Rows of the data sheet that carry dropdowns and the text format. A county-wide import is
# a few thousand rows; the reader accepts more (ReadLimits), the dropdowns stop here.
FORMATTED_ROWS: Final = 5000

# The 56 ethnic groups in the order of GB/T 3304-1991 (codes 01–56).
ETHNIC_GROUPS: Final[tuple[str, ...]] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
)  # fmt: skip
assert len(ETHNIC_GROUPS) == 56 and len(set(ETHNIC_GROUPS)) == 56

# 政治面貌 of a *new* member: one joins the League as a 共青团员; a Party member who is
# still a League member (保留团籍) is never newly admitted, and this template enters new
# members only (seed title: 新发展团员录入). A one-item dropdown still stops typos
# (团员, 共青团員) and keeps the column the real template has.
POLITICAL_STATUSES: Final[tuple[str, ...]] = ("共青团员",)

GENDERS: Final[tuple[str, ...]] = ("男", "女")

# 全日制学历: the highest full-time education completed or in progress. A new member is at
# least 14 (notice §三.1), so nothing below 小学.
FULL_TIME_EDUCATION: Final[tuple[str, ...]] = (
    "小学",
    "初中",
    "普通高中",
    "中等职业教育",
    "大学专科",
    "大学本科",
    "硕士研究生",
    "博士研究生",
)

EDUCATION_ALIASES: Final[tuple[tuple[str, str], ...]] = (
    ("高中", "普通高中"),
    ("中专", "中等职业教育"),
    ("中职", "中等职业教育"),
    ("职高", "中等职业教育"),
    ("技校", "中等职业教育"),
    ("大专", "大学专科"),
    ("专科", "大学专科"),
    ("本科", "大学本科"),
    ("硕士", "硕士研究生"),
    ("研究生", "硕士研究生"),
    ("博士", "博士研究生"),
)

# Kinds an admin can create through the branch template (录入操作步骤 §二 创建下级组织):
# everything but the root. Which kind may sit under which is zhtj.domain.orgs' rule.
CREATABLE_ORG_KINDS: Final[tuple[str, ...]] = tuple(kind.value for kind in OrgKind if kind is not OrgKind.PROVINCE)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a template.

    ``name`` is the canonical header (the key of every row dict); the header cell shows
    ``header`` (with the required mark). ``aliases`` are other headers users and older
    templates write for the same column (e.g. 身份证号 for 身份证号码).
    """

    name: str
    required: bool
    hint: str
    width: float = 14
    choices: tuple[str, ...] = ()
    text_format: bool = False  # number format "@": Excel keeps 18 digits instead of 3.2e+17
    aliases: tuple[str, ...] = ()
    example: str = ""
    # Other spellings of a choice → the choice (高中 → 普通高中); compared after NFKC.
    choice_aliases: tuple[tuple[str, str], ...] = ()

    @property
    def header(self) -> str:
        return f"{REQUIRED_MARK}{self.name}" if self.required else self.name


@dataclass(frozen=True, slots=True)
class TemplateDefinition:
    key: str  # "members" | "branches": the CLI argument and the download's stable id
    title: str
    sheet_name: str
    columns: tuple[Column, ...]
    instructions: tuple[str, ...] = field(default=())

    @property
    def file_name(self) -> str:
        return f"{self.title}.xlsx"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


# ---------------------------------------------------------------------------------------
# 团员 (录入操作步骤 §三). Column order as the brief fixes it; 发展团员编号 and 入团年月 are
# what 操作指引 §3.1 and §4.2 ask the admin to check, so they are required.

NAME: Final = "姓名"
RESIDENT_ID: Final = "身份证号码"
GENDER: Final = "性别"
ETHNICITY: Final = "民族"
POLITICAL_STATUS: Final = "政治面貌"
JOIN_MONTH: Final = "入团年月"
MEMBER_NUMBER: Final = "发展团员编号"
STUDY_STATUS: Final = "在读状况"
EDUCATION: Final = "全日制学历"
MOBILE: Final = "手机号码"
BRANCH: Final = "所在团支部"
REMARKS: Final = "备注"

MEMBER_TEMPLATE: Final = TemplateDefinition(
    key="members",
    title="智慧团建导入团员团干部数据模板",
    sheet_name="团员信息",
    columns=(
        Column(NAME, True, "与身份证上的姓名一致，不含空格", width=12, example="张三"),
        Column(
            RESIDENT_ID,
            True,
            "18位居民身份证号码，末位X大小写均可；本列已设为文本格式，请勿改为数值格式",
            width=22,
            text_format=True,
            aliases=("身份证号", "公民身份号码", "身份证", "证件号码"),
            example="320102200901011234",
        ),
        Column(
            GENDER,
            True,
            "从下拉选项中选择，须与身份证号码第17位一致（奇数为男，偶数为女）",
            width=8,
            choices=GENDERS,
            example="男",
        ),
        Column(
            ETHNICITY,
            True,
            "从下拉选项中选择56个民族之一",
            width=12,
            choices=ETHNIC_GROUPS,
            example="汉族",
            choice_aliases=tuple((group.removesuffix("族"), group) for group in ETHNIC_GROUPS),
        ),
        Column(
            POLITICAL_STATUS,
            True,
            "新发展团员填写“共青团员”",
            width=12,
            choices=POLITICAL_STATUSES,
            example="共青团员",
            choice_aliases=(("团员", "共青团员"),),
        ),
        Column(
            JOIN_MONTH,
            True,
            "上级团委审批同意入团的年月，如 2023-03（也可写 2023.3、2023年3月、202303）；入团时须年满14周岁",
            width=12,
            text_format=True,
            aliases=("入团时间", "入团日期"),
            example="2023-03",
        ),
        Column(
            MEMBER_NUMBER,
            True,
            "《入团志愿书》首页的12位编号，前四位须为入团年份",
            width=16,
            text_format=True,
            aliases=("团员编号", "编号"),
            example="202332000001",
        ),
        Column(
            STUDY_STATUS,
            False,
            "在校学生从下拉选项中选择；不在读的青年留空。学校团支部据此判定团员所属领域，"
            "社会领域团支部不得吸收在校学生入团",
            width=14,
            choices=tuple(status.value for status in StudyStatus),
            aliases=("在读状态",),
            example="初中在读",
        ),
        Column(
            EDUCATION,
            True,
            "从下拉选项中选择已取得或正在就读的最高全日制学历",
            width=14,
            choices=FULL_TIME_EDUCATION,
            aliases=("学历",),
            example="初中",
            choice_aliases=EDUCATION_ALIASES,
        ),
        Column(
            MOBILE,
            True,
            "11位手机号码（可填写监护人手机号码）",
            width=14,
            text_format=True,
            aliases=("手机号", "联系电话", "手机"),
            example="13800000000",
        ),
        Column(
            BRANCH,
            False,
            "团员所在团支部的全称；团支部管理员导入本支部团员时可留空",
            width=24,
            aliases=("所在支部", "所在团组织", "团支部"),
            example="南京市第一中学初三（1）班团支部",
        ),
        Column(REMARKS, False, "选填，不超过200字", width=20, example=""),
    ),
    instructions=(
        "1. 本模板用于批量录入新发展团员（录入操作步骤 三）。请在“团员信息”表中从第2行起逐行填写，"
        "每行一名团员；不要修改、删除或调换第1行表头。",
        "2. 表头带“*”的列为必填项。",
        "3. 身份证号码、入团年月、发展团员编号、手机号码四列已设为文本格式。从其他表格粘贴时请使用"
        "“选择性粘贴—数值”，否则Excel会把身份证号码变成 3.20102E+17 这样的数值，后三位丢失，无法导入。",
        "4. 性别、民族、政治面貌、在读状况、全日制学历请从下拉选项中选择。",
        "5. 入团年月须满足：入团时年满14周岁（团章）；发展团员编号前四位与入团年份相同。",
        "6. 同一文件中身份证号码、发展团员编号不得重复。",
        "7. 上传后系统提示“成功导入 xx 位团员，xx 位团员导入失败”。导入失败的团员可下载带有“失败原因”列的表格，"
        "按原因修改后直接重新上传（“失败原因”列无需删除）。失败原因中的行号是原上传文件中的行号。",
        "8. 2020年及以后新发展的团员，导入成功后还须在“团员电子数据库”中上传电子版《入团志愿书》"
        "（PDF，不超过20M，审批同意入团后30日内，操作指引 2、5.1）。",
        "9. 支持 .xlsx、.xls（Excel 或 WPS 保存）和 .csv（UTF-8 或 GB18030 编码）文件。",
    ),
)

# ---------------------------------------------------------------------------------------
# 下级组织 (录入操作步骤 §二: 单个或批量导入团支部).

ORG_KIND: Final = "组织类别"
SHORT_NAME: Final = "组织简称"
FULL_NAME: Final = "组织全称"
INDUSTRY: Final = "单位所属行业类别"
PARENT_NAME: Final = "上级组织全称"
SECRETARY_NAME: Final = "书记姓名"
SECRETARY_ID: Final = "书记身份证号码"
SECRETARY_MOBILE: Final = "书记手机号码"

BRANCH_TEMPLATE: Final = TemplateDefinition(
    key="branches",
    title="智慧团建导入下级组织数据模板",
    sheet_name="组织信息",
    columns=(
        Column(
            ORG_KIND,
            True,
            "从下拉选项中选择；创建后不可修改",
            width=14,
            choices=CREATABLE_ORG_KINDS,
            aliases=("组织类型",),
            example="团支部",
        ),
        Column(SHORT_NAME, True, "不超过20字；创建后不可修改", width=18, example="初三（1）班团支部"),
        Column(
            FULL_NAME,
            True,
            "不超过60字，同一文件内不得重复；创建后不可修改",
            width=30,
            example="南京市第一中学初三（1）班团支部",
        ),
        Column(
            INDUSTRY,
            False,
            "团支部必填，从下拉选项中选择；它决定团员所属领域（Q&A 5.8），创建后不可修改",
            width=18,
            choices=tuple(industry.value for industry in Industry),
            aliases=("行业类别", "所属行业类别"),
            example="初中",
        ),
        Column(
            PARENT_NAME,
            False,
            "留空表示创建在当前登录的组织之下；否则填写上级组织的全称",
            width=30,
            aliases=("上级组织",),
            example="",
        ),
        Column(SECRETARY_NAME, False, "选填", width=12, example="李四"),
        Column(
            SECRETARY_ID,
            False,
            "选填；填写时须为18位居民身份证号码（文本格式）",
            width=22,
            text_format=True,
            aliases=("书记身份证号",),
            example="",
        ),
        Column(
            SECRETARY_MOBILE,
            False,
            "选填；11位手机号码",
            width=14,
            text_format=True,
            aliases=("书记手机号", "书记联系电话"),
            example="",
        ),
        Column(REMARKS, False, "选填，不超过200字", width=20, example=""),
    ),
    instructions=(
        "1. 本模板用于批量创建下级组织（录入操作步骤 二）。请在“组织信息”表中从第2行起逐行填写，"
        "每行一个组织；不要修改、删除或调换第1行表头。",
        "2. 表头带“*”的列为必填项；组织类别为“团支部”时，“单位所属行业类别”也必填。",
        "3. 组织类别、组织简称、组织全称、单位所属行业类别创建后不可修改，请仔细核对。",
        "4. 团支部的行业类别决定其团员所属领域：社会类行业的团支部计入社会领域，且不得吸收在校学生入团（通知 二.5）。",
        "5. 书记身份证号码、书记手机号码两列已设为文本格式，请勿改为数值格式。",
        "6. 导入失败的组织可下载带有“失败原因”列的表格，修改后直接重新上传。",
    ),
)

TEMPLATES: Final[dict[str, TemplateDefinition]] = {
    MEMBER_TEMPLATE.key: MEMBER_TEMPLATE,
    BRANCH_TEMPLATE.key: BRANCH_TEMPLATE,
}
