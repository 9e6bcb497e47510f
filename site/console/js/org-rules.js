// 组织树的规则在表单里的副本：表单只列出接口会接受的选项。规则本身在
// functions/zhtj/domain/orgs.py（ALLOWED_CHILDREN）和 functions/zhtj/domain/glossary.py
// （OrgKind、Industry）；接口始终会再检查一遍。tests/e2e/browser 有一个测试比对这里和
// Python 中的定义，两边不一致时测试失败。

/** 组织类别，按组织树从上到下的顺序。 */
export const ORG_KINDS = ["团省委", "团市委", "团县(市、区)委", "团委", "团工委", "团总支", "团支部"];

// 录入操作步骤 二“创建下级组织”：各类组织下可以创建的下级组织类别。
const UNITS = ["团委", "团工委"];
const UNITS_AND_BRANCHES = [...UNITS, "团总支", "团支部"];
export const ALLOWED_CHILDREN = {
  团省委: ["团市委", ...UNITS],
  团市委: ["团县(市、区)委", ...UNITS],
  "团县(市、区)委": UNITS_AND_BRANCHES,
  团委: UNITS_AND_BRANCHES,
  团工委: UNITS_AND_BRANCHES,
  团总支: ["团支部"],
  团支部: [],
};

/** 只有团支部必须选择行业类别（Q&A 5.8：它决定团员所属领域）。 */
export const KIND_NEEDING_INDUSTRY = "团支部";

/** 单位所属行业类别，分学校和社会两组。 */
export const INDUSTRY_GROUPS = [
  {
    label: "学校",
    options: ["普通高等院校", "职业教育学校(高职)", "普通高中", "中等职业学校", "完全中学", "初中", "九年一贯制学校", "十二年一贯制学校"],
  },
  {
    label: "社会",
    options: ["党政机关", "事业单位", "国有企业", "集体企业", "非公企业", "新社会组织", "城市社区", "农村", "其他"],
  },
];

/** 名称长度上限（functions/zhtj/domain/orgs.py 的 NAME_MAX_LENGTH、SHORT_NAME_MAX_LENGTH）。 */
export const NAME_MAX_LENGTH = 60;
export const SHORT_NAME_MAX_LENGTH = 20;

/** parentKind 下可以创建的类别；空数组表示不能创建下级组织。 */
export function allowedChildKinds(parentKind) {
  return ALLOWED_CHILDREN[parentKind] || [];
}
