"""Demo data for the local stack: the organisation tree of the illustrative 2023 Jiangsu data
set (团省委 → 13 团市委 → their counties, plus a school and its branches under 玄武区) and
demo admin accounts at several levels of the tree. Everything here is illustrative."""

from __future__ import annotations

from dataclasses import dataclass

from zhtj.domain.glossary import Domain, Industry, OrgKind, Role
from zhtj.domain.numbers import Segment
from zhtj.domain.orgs import Organisation, new_child, new_root
from zhtj.services.organisations import child_id
from zhtj.services.ports import IdentityProvider

DEMO_PASSWORD = "Demo-2023-zhtj"  # noqa: S105 - printed on purpose: local demo accounts only


@dataclass(frozen=True)
class DemoAccount:
    username: str
    org_id: str
    description: str


def demo_tree() -> list[Organisation]:
    """Province, the 13 cities with their real counties and the provincial units of the demo
    data set (infra/demo/jiangsu_2023.py), then one school subtree and one community branch."""
    from infra.demo.jiangsu_2023 import CITIES, PROVINCIAL_UNITS

    province = new_root("32", "共青团江苏省委", "团省委")
    orgs = [province]
    for city in CITIES:
        city_org = new_child(province, org_id=city.code, name=city.committee_name,
                             short_name=city.committee_name[:20], kind=OrgKind.CITY, industry=None)
        orgs.append(city_org)
        orgs += [
            new_child(city_org, org_id=county.county_id, name=f"{city.name}{county.name}团委",
                      short_name=f"{county.name}团委"[:20], kind=OrgKind.COUNTY, industry=None)
            for county in city.counties
        ]
    for unit in PROVINCIAL_UNITS:
        kind = OrgKind.WORK_COMMITTEE if unit.name.endswith("团工委") else OrgKind.COMMITTEE
        orgs.append(new_child(province, org_id=unit.unit_id, name=unit.name, short_name=unit.name[:20],
                              kind=kind, industry=None))
    county = next(o for o in orgs if o.org_id == "320102")
    school = _child(county, "南京市玄武区示范初级中学团委", "示范初中团委", OrgKind.COMMITTEE, Industry.JUNIOR_HIGH)
    grade = _child(school, "南京市玄武区示范初级中学初三年级团总支", "初三团总支", OrgKind.GENERAL_BRANCH,
                   Industry.JUNIOR_HIGH)
    branches = [
        _child(grade, f"南京市玄武区示范初级中学初三（{n}）班团支部", f"初三（{n}）班团支部", OrgKind.BRANCH,
               Industry.JUNIOR_HIGH)
        for n in (1, 2, 3)
    ]
    community = _child(county, "南京市玄武区玄武门街道团工委", "玄武门街道团工委", OrgKind.WORK_COMMITTEE, None)
    social_branch = _child(community, "南京市玄武区玄武门街道青年社区团支部", "青年社区团支部", OrgKind.BRANCH,
                           Industry.URBAN_COMMUNITY)
    return [*orgs, school, grade, *branches, community, social_branch]


def _child(parent: Organisation, name: str, short: str, kind: OrgKind, industry: Industry | None) -> Organisation:
    return new_child(parent, org_id=child_id(parent.org_id, name), name=name, short_name=short, kind=kind,
                     industry=industry)


def demo_accounts(tree: list[Organisation]) -> list[DemoAccount]:
    by_name = {o.name: o for o in tree}

    def org(name: str) -> str:
        return by_name[name].org_id

    return [
        DemoAccount("jiangsu", "32", "团省委管理员（全省）"),
        DemoAccount("nanjing", "3201", "南京市团委管理员"),
        DemoAccount("suzhou", "3205", "苏州市团委管理员"),
        DemoAccount("xuanwu", "320102", "玄武区团委管理员"),
        DemoAccount("school", org("南京市玄武区示范初级中学团委"), "示范初中团委管理员（可直接认证档案）"),
        DemoAccount("branch", org("南京市玄武区示范初级中学初三（1）班团支部"),
                    "初三（1）班团支部管理员（上传须审批）"),
        DemoAccount("community", org("南京市玄武区玄武门街道青年社区团支部"), "青年社区团支部管理员（社会领域）"),
    ]


def demo_plan_items(tree: list[Organisation]) -> tuple[list[tuple[str, int, str, int, int]], list[tuple[str, Segment]]]:
    """Quotas and held segments of the demo year: the province's plan and the allocation
    table (cities and provincial units), each city's split among its counties, and 玄武区
    handing part of its 初中 and 社会 numbers to the demo school and 街道团工委. A holder keeps
    only the part of its range it has not handed down, so no two holders' segments overlap."""
    from infra.demo.jiangsu_2023 import CITIES, DEMO_YEAR, demo_allocation, demo_county_allocation

    quotas: list[tuple[str, int, str, int, int]] = []
    held: dict[str, dict[Domain, list[Segment]]] = {}
    province = demo_allocation()
    for domain, total in province.plan.items():
        quotas.append(("32", DEMO_YEAR, domain.value, total, province.domain_total(domain)))
    splits = {city.code: demo_county_allocation(city.code) for city in CITIES}
    for unit in province.units:
        split = splits.get(unit.unit_id)
        for domain, quota in unit.quotas.items():
            handed = split.domain_total(domain) if split else 0
            quotas.append((unit.unit_id, DEMO_YEAR, domain.value, quota, handed))
            if domain in unit.segments and not split:
                held.setdefault(unit.unit_id, {})[domain] = [unit.segments[domain]]
    for split in splits.values():
        for unit in split.units:
            for domain, quota in unit.quotas.items():
                quotas.append((unit.unit_id, DEMO_YEAR, domain.value, quota, 0))
                if domain in unit.segments:
                    held.setdefault(unit.unit_id, {})[domain] = [unit.segments[domain]]
    by_name = {o.name: o.org_id for o in tree}
    for child_name, domain, count in (("南京市玄武区示范初级中学团委", Domain.JUNIOR_HIGH, 120),
                                      ("南京市玄武区玄武门街道团工委", Domain.SOCIAL, 30)):
        (county_segment,) = held["320102"][domain]
        given, rest = county_segment.split(count)
        held["320102"][domain] = [rest] if rest else []
        held[by_name[child_name]] = {domain: [given]}
        quotas.append((by_name[child_name], DEMO_YEAR, domain.value, count, 0))
        quotas = [(o, y, d, q, dist + count if (o, d) == ("320102", domain.value) else dist)
                  for o, y, d, q, dist in quotas]
    segments = [(holder, seg) for holder, domains in held.items() for segs in domains.values() for seg in segs]
    return quotas, segments


def load_demo(store: object, identity: IdentityProvider) -> tuple[list[Organisation], list[DemoAccount]]:
    tree = demo_tree()
    store.add_many(tree)  # type: ignore[attr-defined]
    store.load_plan(*demo_plan_items(tree))  # type: ignore[attr-defined]
    accounts = demo_accounts(tree)
    for account in accounts:
        identity.create_admin(username=account.username, password=DEMO_PASSWORD, org_id=account.org_id,
                              role=Role.ADMIN.value, email=f"{account.username}@demo.zhtj.local")
    return tree, accounts
