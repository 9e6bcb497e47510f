"""Progress figures over HTTP against ``zhtj local``: a member entered through the API reaches
the counters through the table's stream and the stack's stream pump (no test hook), and the
figures, missed list and .xlsx export answer for the school and the province."""

from __future__ import annotations

import base64
import time
from typing import Any

from tests.e2e.conftest import RunningStack
from tests.e2e.test_members import branch_id, form


def figures(stack: RunningStack, who: str, org_id: str, **query: str) -> dict[str, Any]:
    response = stack.session(who).get(stack.api(f"orgs/{org_id}/figures"), params={"year": "2023", **query},
                                      timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_entered_member_is_counted_through_the_stream(stack: RunningStack) -> None:
    school = stack.session("school").get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    before = figures(stack, "school", school)["total"]
    created = stack.session("branch").post(stack.api(f"orgs/{branch_id(stack)}/members"),
                                           json=form(**{"发展团员编号": "202332000077"}), timeout=10)
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 20
    while True:
        after = figures(stack, "school", school)["total"]
        if after["entered"] == before["entered"] + 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert after["entered"] == before["entered"] + 1
    assert after["used"] == before["used"] + 1 and after["not_uploaded"] == before["not_uploaded"] + 1
    assert after["plan"] == 120  # the demo school's 初中 quota

    province = figures(stack, "jiangsu", "32", as_of="2023-07-01")
    assert province["total"]["plan"] == 182_000 and province["total"]["entered"] >= 1
    missed = stack.session("jiangsu").get(stack.api("orgs/32/figures/missed"),
                                          params={"year": "2023", "as_of": "2023-07-01"}, timeout=30).json()
    groups = {g["group"]: g for g in missed["groups"]}
    assert groups["counties"]["units"] == 95 and groups["children"]["missing"]  # nobody has used 50 % yet
    export = stack.session("school").get(stack.api(f"orgs/{school}/figures/xlsx"), params={"year": "2023"},
                                         timeout=30).json()
    assert base64.b64decode(export["content_base64"])[:2] == b"PK" and export["filename"].endswith(".xlsx")
    # outside the caller's subtree: the same answer as for any organisation it may not see
    assert stack.session("school").get(stack.api("orgs/32/figures"), params={"year": "2023"},
                                       timeout=10).status_code in (403, 404)
