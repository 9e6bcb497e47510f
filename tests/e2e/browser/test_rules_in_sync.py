"""The console's copy of the organisation rules (site/console/js/org-rules.js) is what the
domain says (zhtj.domain.orgs, zhtj.domain.glossary): the module is loaded in the browser
and compared, so the form never offers a kind or an industry the API would refuse. The member
rules (console/js/member-rules.js) are generated at build time; the served module is compared
with their definitions too."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.browser.support import BROWSER
from zhtj.domain.glossary import Industry, IndustryGroup, OrgKind
from zhtj.domain.orgs import ALLOWED_CHILDREN, NAME_MAX_LENGTH, SHORT_NAME_MAX_LENGTH
from zhtj.imports.definitions import MEMBER_TEMPLATE
from zhtj.services.archives import CONTENT_TYPE, MAX_ARCHIVE_BYTES

pytestmark = BROWSER


def test_org_rules_module_matches_the_domain(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html")
    rules = page.evaluate("""async () => {
        const m = await import('./js/org-rules.js');
        return {kinds: m.ORG_KINDS, allowed: m.ALLOWED_CHILDREN, groups: m.INDUSTRY_GROUPS,
                needing: m.KIND_NEEDING_INDUSTRY, name: m.NAME_MAX_LENGTH, short: m.SHORT_NAME_MAX_LENGTH};
    }""")
    assert rules["kinds"] == [k.value for k in OrgKind]
    assert rules["allowed"] == {
        parent.value: [k.value for k in OrgKind if k in children] for parent, children in ALLOWED_CHILDREN.items()
    }
    assert rules["groups"] == [
        {"label": group.value, "options": [i.value for i in Industry if i.group is group]}
        for group in (IndustryGroup.SCHOOL, IndustryGroup.SOCIAL)
    ]
    assert rules["needing"] == OrgKind.BRANCH.value
    assert (rules["name"], rules["short"]) == (NAME_MAX_LENGTH, SHORT_NAME_MAX_LENGTH)


def test_member_rules_module_matches_the_template(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html")
    rules = page.evaluate("""async () => {
        const m = await import('./js/member-rules.js');
        return {fields: m.MEMBER_FIELDS, max: m.ARCHIVE_MAX_BYTES, type: m.ARCHIVE_CONTENT_TYPE};
    }""")
    assert rules["fields"] == [{"name": c.name, "required": c.required, "choices": list(c.choices)}
                               for c in MEMBER_TEMPLATE.columns]
    assert (rules["max"], rules["type"]) == (MAX_ARCHIVE_BYTES, CONTENT_TYPE)
