"""The member pages in a real browser (issue 7, the missing part): 单个录入团员 with the GOV.UK
error pattern (the browser's required-field check, then the server's per-field errors, then
success), 查询团员 by ID number and by development number (POST only: no ID number in any URL),
and the archive page: upload with progress, the worker's verdict, refusals in the worker's own
words, 替换档案 after a rejection, and a certified archive replaced through a change request.

Numbers: the demo school's 初中 segment 202332000001–120; the other e2e tests use 000001 (the
form's default) and 000011–000120, so this tier enters 000002–000008 (:data:`NUMBERS`) and
dry-runs 000009–000010 (an import that writes nothing)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.browser.conftest import RequestLog
from tests.e2e.browser.support import BROWSER, sign_in, wait_ready
from tests.e2e.browser.test_console import ERROR_TITLE, focus_is_visible, focused_id, tab_to
from tests.e2e.conftest import RunningStack
from tests.e2e.test_members import form, resident_id
from tests.unit.readers import pdf_corpus
from zhtj.imports.definitions import MEMBER_TEMPLATE, POLITICAL_STATUS

pytestmark = BROWSER

#: The development numbers of the browser tests, one member each.
NUMBERS = {"keyboard": "202332000002", "form": "202332000003", "refusals": "202332000004", "change": "202332000005",
           "accessibility": "202332000006", "screenshots": "202332000007", "csp": "202332000008"}
SCHOOL_COMMITTEE = "南京市玄武区示范初级中学团委"
CLASS_ONE = "南京市玄武区示范初级中学初三（1）班团支部"
MiB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------------


def org_of(stack: RunningStack, username: str) -> str:
    return str(stack.session(username).get(stack.api("me"), timeout=10).json()["org"]["org_id"])


def demo_member(stack: RunningStack, key: str, name: str) -> str:
    """The member of 初三（1）班 holding ``NUMBERS[key]``, entered over the API on first use (a
    parametrised test asks again: the number is then found by search). Returns its id."""
    session, number = stack.session("branch"), NUMBERS[key]
    entered = session.post(stack.api(f"orgs/{org_of(stack, 'branch')}/members"), timeout=10, json=form(**{
        "姓名": name, "身份证号码": resident_id(birth="20080716"), "发展团员编号": number}))
    if entered.status_code == 201:
        return str(entered.json()["member_id"])
    assert entered.status_code == 409 and entered.json()["code"] == "number_used", entered.text
    found = session.post(stack.api(f"orgs/{org_of(stack, 'branch')}/members/search"), json={"q": number},
                         timeout=10).json()["items"]
    assert len(found) == 1, found
    return str(found[0]["member_id"])


def fill_with_server_errors(page: Page, number: str = "202232000009") -> None:
    """Fill every field of the entry form so that only the server finds fault: under 14 on the
    join month, the number's year is not the join year, a short mobile number; and submit."""
    page.fill("#m-name", "示例团员")
    page.fill("#m-resident-id", resident_id(birth="20120105"))
    for control, value in (("#m-gender", "男"), ("#m-ethnicity", "汉族"), ("#m-study", "初中在读"),
                           ("#m-education", "初中")):
        page.select_option(control, value)
    page.fill("#m-join-month", "2023-04")
    page.fill("#m-number", number)
    page.fill("#m-mobile", "123")
    page.click("#member-new-form button[type=submit]")
    expect(page.locator("#m-mobile-error")).to_be_visible()


def good_pdf(number: str, pages: int = 4, lines: int = 5) -> bytes:
    return pdf_corpus.text_pdf(number=number, pages=pages, lines_per_page=lines)


def open_archive(page: Page, base_url: str, member_id: str) -> None:
    page.goto(f"{base_url}/console/archive.html?member={member_id}")
    assert wait_ready(page, "archive") == "ready"


def choose(page: Page, name: str, data: bytes, mime: str = "application/pdf") -> None:
    page.set_input_files("#archive-file", files=[{"name": name, "mimeType": mime, "buffer": data}])


def upload(page: Page, name: str, data: bytes, mime: str = "application/pdf") -> None:
    """Choose the file, submit and wait for the worker's verdict on the page."""
    choose(page, name, data, mime)
    page.click("#archive-upload-button")
    expect(page.locator("#archive-verdict")).to_be_visible(timeout=60_000)
    wait_ready(page, "archive")


def watch_progress(page: Page, bar_id: str = "archive-progress-bar") -> None:
    """Record every value the progress bar shows (its value attribute) in window.progressSeen."""
    page.evaluate("""(barId) => {
        window.progressSeen = [];
        const bar = document.getElementById(barId);
        new MutationObserver(() => window.progressSeen.push(Number(bar.getAttribute('value'))))
            .observe(bar, {attributes: true, attributeFilter: ['value']});
    }""", bar_id)


def decide(stack: RunningStack, member_id: str, path: str, body: dict[str, Any]) -> None:
    response = stack.session("school").post(stack.api(f"members/{member_id}/{path}"), json=body, timeout=10)
    assert response.status_code == 200, response.text


def decide_then_replace(page: Page, stack: RunningStack, member_id: str, path: str, body: dict[str, Any], *,
                        shows: tuple[str, ...], number: str) -> Locator:
    """The school decides over the API; the reloaded page shows it (``shows``) and offers
    替换档案; a new file becomes version 2. Returns the version rows (newest first)."""
    decide(stack, member_id, path, body)
    page.reload()
    assert wait_ready(page, "archive") == "ready"
    for text in shows:
        expect(page.locator("#archive-details")).to_contain_text(text)
    expect(page.locator("#archive-upload-title")).to_have_text("替换档案")
    upload(page, "入团志愿书-替换.pdf", good_pdf(number))
    expect(page.locator("#archive-verdict-title")).to_have_text("档案已接收：第 2 版")
    rows = page.locator("#archive-version-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("第 2 版（当前）")
    return rows


def no_id_in_urls(log: RequestLog, person: str, page: Page) -> None:
    assert person not in page.url
    leaked = [url for url in log.urls if person in url or person.lower() in url]
    assert not leaked, leaked


# --- 单个录入团员 --------------------------------------------------------------------------------


def test_entering_a_member_errors_first_then_found_by_id_number_and_number(
        new_context: Callable[..., tuple[BrowserContext, RequestLog]], base_url: str, stack: RunningStack) -> None:
    context, log = new_context()
    page = context.new_page()
    sign_in(page, base_url, "school")
    page.locator("#org-actions").get_by_role("link", name="单个录入团员").click()
    assert wait_ready(page, "member-new") == "ready"
    # The school's branches sit under its 团总支: the form lists them (and nothing else).
    options = page.locator("#m-branch option").all_inner_texts()
    assert options[0] == "请选择" and len(options) == 4 and all("初三" in o for o in options[1:])
    # The dropdowns are the member template's own (generated at build time from its definition).
    for control, column in (("#m-gender", "性别"), ("#m-ethnicity", "民族"), ("#m-education", "全日制学历")):
        choices = MEMBER_TEMPLATE.column(column).choices
        assert page.locator(f"{control} option").all_inner_texts() == ["请选择", *choices]
    expect(page.locator("#m-political")).to_have_value("共青团员")  # its only choice
    assert page.locator("#m-study option").all_inner_texts()[1:] == list(MEMBER_TEMPLATE.column("在读状况").choices)

    # 1. Nothing filled: every required field is named in the summary, which takes the focus.
    page.click("#member-new-form button[type=submit]")
    summary = page.locator(".zhtj-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(ERROR_TITLE)
    required = [c for c in MEMBER_TEMPLATE.required_names if c != POLITICAL_STATUS]
    expect(summary.locator("a")).to_have_count(len(required) + 1)  # + 所在团支部
    expect(summary.locator("a").first).to_have_text("请选择所在团支部")
    expect(page.locator("#m-resident-id-error")).to_have_text("错误：请输入身份证号码")
    summary.get_by_role("link", name="请输入入团年月").click()
    expect(page.locator("#m-join-month")).to_be_focused()

    # 2. Filled, but wrong by the server's rules: each field's error, in Chinese, beside it.
    person = resident_id(birth="20080105")
    page.select_option("#m-branch", label="南京市玄武区示范初级中学初三（2）班团支部（初中）")
    page.fill("#m-name", "录入测试")
    page.fill("#m-resident-id", resident_id(birth="20120105"))  # under 14 in 2023-04
    page.select_option("#m-gender", "男")
    page.select_option("#m-ethnicity", "汉族")
    page.fill("#m-join-month", "2023-04")
    page.fill("#m-number", "202232000003")  # the year is not the join year
    page.select_option("#m-study", "初中在读")
    page.select_option("#m-education", "初中")
    page.fill("#m-mobile", "123")
    page.click("#member-new-form button[type=submit]")
    expect(summary).to_be_focused()
    expect(page).to_have_title(ERROR_TITLE)
    expect(summary.locator("a")).to_have_count(3)
    expect(summary.locator("a[href='#m-join-month']")).to_contain_text("入团年月：")
    expect(page.locator("#m-join-month-error")).to_contain_text("14")
    expect(page.locator("#m-number-error")).to_contain_text("入团年份")
    expect(page.locator("#m-mobile-error")).to_be_visible()
    expect(page.locator("#m-mobile")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#m-name")).not_to_have_attribute("aria-invalid", "true")

    # 3. Corrected: entered, the errors gone, the archive one click away.
    page.fill("#m-resident-id", person)
    page.fill("#m-number", NUMBERS["form"])
    page.fill("#m-mobile", "13912345678")
    page.click("#member-new-form button[type=submit]")
    success = page.locator("#member-new-success")
    expect(success).to_be_focused()
    expect(success).to_contain_text(f"已录入团员“录入测试”（发展团员编号 {NUMBERS['form']}，初中领域）")
    expect(success).to_contain_text("初三（2）班团支部")
    expect(summary).to_be_hidden()
    assert page.locator(".zhtj-error-message").count() == 0
    assert not ERROR_TITLE.search(page.title())
    expect(page.locator("#m-name")).to_have_value("")
    expect(page.locator("#m-branch option:checked")).to_contain_text("初三（2）班")  # kept for the next one
    archive_link = str(success.get_by_role("link", name="上传录入测试的《入团志愿书》").get_attribute("href"))
    member_id = archive_link.split("member=")[1]

    # 4. Found by ID number and by number; the table shows the API's masked ID number.
    sign_in(page, base_url, "xuanwu")  # the county sees its school's members too
    page.locator("#org-actions").get_by_role("link", name="查询团员").click()
    assert wait_ready(page, "members") == "ready"
    masked = stack.session("xuanwu").get(stack.api(f"members/{member_id}"), timeout=10).json()["resident_id"]
    assert masked == person  # the detail route has the full number; lists must not
    for query in (person, NUMBERS["form"]):
        page.fill("#q", query)
        page.click("#members-form button[type=submit]")
        expect(page.locator("#members-results-title")).to_be_focused()
        rows = page.locator("#members-rows tr")
        expect(rows).to_have_count(1)
        cells = rows.first.locator("td")
        expect(cells.nth(0)).to_have_text("录入测试")
        expect(cells.nth(1)).to_have_text(person[:3] + "*" * 13 + person[-2:])
        expect(cells.nth(2)).to_have_text(NUMBERS["form"])
        expect(cells.nth(4)).to_have_text("南京市玄武区示范初级中学初三（2）班团支部")
        expect(cells.nth(5)).to_have_text("尚未认证")
    assert person not in page.content()
    no_id_in_urls(log, person, page)
    # Nothing found is said, not shown as an empty table.
    page.fill("#q", "没有这个人")
    page.click("#members-form button[type=submit]")
    expect(page.locator("#members-empty")).to_be_visible()
    expect(page.locator("#members-table-wrap")).to_be_hidden()
    page.fill("#q", NUMBERS["form"])
    page.click("#members-form button[type=submit]")
    page.locator("#members-rows").get_by_role("link", name=re.compile("^上传档案")).click()
    assert wait_ready(page, "archive") == "ready"
    assert f"member={member_id}" in page.url
    expect(page.locator("#archive-member-name")).to_contain_text("录入测试")


def test_an_empty_search_is_an_error_and_a_get_with_an_id_number_is_refused(page: Page, base_url: str,
                                                                           stack: RunningStack) -> None:
    sign_in(page, base_url, "school")
    page.goto(f"{base_url}/console/members.html")
    assert wait_ready(page, "members") == "ready"
    page.click("#members-form button[type=submit]")
    expect(page.locator(".zhtj-error-summary")).to_be_focused()
    expect(page.locator("#q-error")).to_have_text("错误：请输入姓名、身份证号码或发展团员编号")
    expect(page).to_have_title(ERROR_TITLE)
    # The route the page avoids: an ID number in a URL is refused by the API.
    refused = stack.session("school").get(stack.api(f"orgs/{org_of(stack, 'school')}/members"),
                                          params={"q": resident_id()}, timeout=10)
    assert refused.status_code == 400 and refused.json()["code"] == "resident_id_in_url"


def test_nanjing_cannot_open_a_suzhou_search_or_an_unknown_archive(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "nanjing")
    page.goto(f"{base_url}/console/members.html?org=3205")
    assert wait_ready(page, "members") == "error"
    expect(page.locator(".zhtj-page-error__title")).to_have_text("无权查看该组织")
    page.goto(f"{base_url}/console/archive.html?member=mnosuchmember")
    assert wait_ready(page, "archive") == "error"
    expect(page.locator(".zhtj-page-error__title")).to_have_text("找不到该团员")
    expect(page.locator(".zhtj-page-error__title")).to_be_focused()


# --- 上传团员档案 / 替换档案 ----------------------------------------------------------------------


def test_upload_refusals_in_the_workers_words_then_replace_after_rejection(page: Page, base_url: str,
                                                                          stack: RunningStack) -> None:
    member_id = demo_member(stack, "refusals", "档案页测试")
    number = NUMBERS["refusals"]
    sign_in(page, base_url, "branch")
    open_archive(page, base_url, member_id)
    expect(page.locator("#archive-details")).to_contain_text("尚未认证")
    expect(page.locator("#archive-upload-title")).to_have_text("上传团员档案")
    expect(page.locator("#archive-versions-empty")).to_be_visible()
    expect(page.locator("#archive-change")).to_be_hidden()

    # Refused before anything is sent: not a .pdf, and larger than the worker's 20 MB.
    choose(page, "入团志愿书.docx", pdf_corpus.docx_bytes(),
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    page.click("#archive-upload-button")
    expect(page.locator("#archive-upload .zhtj-error-summary")).to_be_focused()
    expect(page).to_have_title(ERROR_TITLE)
    expect(page.locator("#archive-file-error")).to_contain_text("“入团志愿书.docx”不是 PDF 文件")
    choose(page, "扫描件.pdf", b"%PDF-1.7\n" + b"\0" * (21 * MiB))
    page.click("#archive-upload-button")
    expect(page.locator("#archive-file-error")).to_contain_text("文件大小为 21.0 MB，超过了 20 MB 的上限")
    assert stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json()["uploads"] == []

    # Refused by the worker, each with its own explanation; the archive stays as it was.
    for name, data, code, says in (
        ("照片.pdf", pdf_corpus.png_bytes(), "not_pdf", "这是一张 PNG 图片（扩展名被改成了 .pdf），不是 PDF 文件"),
        ("加密.pdf", pdf_corpus.encrypt(good_pdf(number), user="123456", owner="o", algorithm="AES-128"),
         "encrypted", "文件已加密，请上传未加密的PDF"),
        ("别人的.pdf", good_pdf("202332000099"), "number_mismatch", f"与系统内的 {number} 不一致"),
    ):
        upload(page, name, data)
        verdict = page.locator("#archive-verdict")
        expect(verdict).to_be_focused()
        expect(verdict).to_have_attribute("data-status", "refused")
        expect(verdict.locator("#archive-verdict-title")).to_have_text("文件未被接收")
        expect(verdict.locator(f"[data-code={code}]")).to_contain_text(says)
        expect(verdict).to_contain_text("档案没有改变（仍为“尚未认证”）")
        expect(page.locator(f"#archive-upload-list li[data-status=refused] [data-code={code}]")).to_have_count(1)
        expect(page.locator("#archive-versions-empty")).to_be_visible()
        assert page.get_attribute("#archive", "data-version") == "0"
    assert ERROR_TITLE.search(page.title()) is None  # a verdict is not a form error

    # A good file: the progress bar runs to 100 %, then the worker accepts it as version 1.
    watch_progress(page)
    upload(page, "入团志愿书.pdf", good_pdf(number, pages=6, lines=4000))
    seen = page.evaluate("window.progressSeen")
    assert seen and max(seen) == 100 and seen == sorted(seen), seen
    verdict = page.locator("#archive-verdict")
    expect(verdict).to_be_focused()
    expect(verdict).to_have_attribute("data-status", "accepted")
    expect(verdict.locator("#archive-verdict-title")).to_have_text("档案已接收：第 1 版")
    expect(verdict).to_contain_text(f"待审批，等待“{SCHOOL_COMMITTEE}”审批")
    expect(page.locator("#archive-details")).to_contain_text("待审批")
    expect(page.locator("#archive-version-rows tr")).to_have_count(1)
    expect(page.locator("#archive-version-rows tr").first).to_contain_text("第 1 版（当前）")
    expect(page.locator("#archive-version-rows tr").first).to_contain_text("6 页")

    # The school refuses it with a reason (§3.3.1); the branch sees it and replaces the file.
    expect(page.locator("#archive-version-rows tr").first).to_contain_text("待审批")
    rows = decide_then_replace(page, stack, member_id, "archive/decision",
                               {"version": 1, "approve": False, "reason": "第3页模糊，请重新扫描"},
                               shows=("认证不通过", "第3页模糊，请重新扫描"), number=number)
    expect(rows.nth(0)).to_contain_text("待审批")
    expect(rows.nth(1)).to_contain_text("不同意：第3页模糊，请重新扫描")
    expect(page.locator("#archive-upload-list > li")).to_have_count(5)  # 3 refused, 2 accepted
    view = stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
    assert (view["archive_state"], view["version"]) == ("待审批", 2)


def test_a_certified_archive_is_replaced_through_a_change_request(page: Page, base_url: str,
                                                                  stack: RunningStack) -> None:
    member_id = demo_member(stack, "change", "变更测试")
    number = NUMBERS["change"]
    sign_in(page, base_url, "school")  # a committee: certified without approval (§3.2.2)
    open_archive(page, base_url, member_id)
    upload(page, "入团志愿书.pdf", good_pdf(number))
    expect(page.locator("#archive-verdict")).to_contain_text("团员身份已认证（本组织是团委")
    expect(page.locator("#archive-upload")).to_be_hidden()  # no replacing a certified archive
    expect(page.locator("#archive-change")).to_be_hidden()  # and the deciding committee does not ask itself
    expect(page.locator("#archive-version-rows tr").first).to_contain_text("无需审批")

    sign_in(page, base_url, "branch")
    open_archive(page, base_url, member_id)
    expect(page.locator("#archive-upload")).to_be_hidden()
    expect(page.locator("#archive-change")).to_be_visible()
    page.click("#archive-change-form button[type=submit]")
    expect(page.locator("#archive-change-reason-error")).to_have_text("错误：请写明变更理由")
    expect(page).to_have_title(ERROR_TITLE)
    page.fill("#archive-change-reason", "首页编号填写错误，已重新填写并扫描")
    page.click("#archive-change-form button[type=submit]")
    verdict = page.locator("#archive-verdict")
    expect(verdict).to_be_focused()
    expect(verdict.locator("#archive-verdict-title")).to_have_text("变更申请已提交")
    expect(page.locator("#archive-details")).to_contain_text("团员身份已认证（变更申请待审批）")
    expect(page.locator("#archive-change")).to_be_hidden()
    assert not ERROR_TITLE.search(page.title())

    # The deciding committee's page points to where it decides (操作指引 3.3.1 操作中心).
    sign_in(page, base_url, "school")
    open_archive(page, base_url, member_id)
    link = page.locator("#archive-decide").get_by_role("link", name="到“档案审批”审批")
    expect(link).to_have_attribute("href", re.compile(rf"approvals\.html\?q={number}&kind=change$"))
    sign_in(page, base_url, "branch")
    open_archive(page, base_url, member_id)
    expect(page.locator("#archive-decide")).to_be_hidden()
    rows = decide_then_replace(page, stack, member_id, "archive/change-requests/decision", {"approve": True},
                               shows=("（变更申请已同意）",), number=number)
    expect(rows.nth(1)).to_contain_text("无需审批")
    # The replacement waits for the school (§4.5 重新提交); the change approval is used up.
    expect(page.locator("#archive-details")).to_contain_text("待审批")
    expect(page.locator("#archive-details")).not_to_contain_text("变更申请")
    view = stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
    assert (view["archive_state"], view["version"], view["change_approved"]) == ("待审批", 2, False)


# --- keyboard only -------------------------------------------------------------------------------


def test_keyboard_only_entry_search_and_upload(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "branch")
    page.goto(f"{base_url}/console/member-new.html")
    assert wait_ready(page, "member-new") == "ready"
    expect(page.locator("#m-branch")).to_have_value(re.compile(".+"))  # a branch admin's own branch
    tab_to(page, "m-name")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")  # the empty form
    expect(page.locator(".zhtj-error-summary")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#m-name"
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    assert focused_id(page) == "m-name"

    def next_field(expected: str) -> None:
        page.keyboard.press("Tab")
        assert focused_id(page) == expected
        assert focus_is_visible(page), expected

    page.keyboard.type("键盘测试")
    next_field("m-resident-id")
    page.keyboard.type(resident_id(birth="20080309"))
    next_field("m-gender")
    page.keyboard.press("ArrowDown")  # 男
    next_field("m-ethnicity")
    page.keyboard.press("ArrowDown")  # 汉族
    next_field("m-political")
    next_field("m-join-month")
    page.keyboard.type("2023-05")
    next_field("m-number")
    page.keyboard.type(NUMBERS["keyboard"])
    next_field("m-study")
    page.keyboard.press("ArrowDown")  # 初中在读
    next_field("m-education")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 初中
    next_field("m-mobile")
    page.keyboard.type("13912345678")
    next_field("m-remarks")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "录入"
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#member-new-success")).to_be_focused()
    expect(page.locator("#member-new-success")).to_contain_text("键盘测试")

    page.goto(f"{base_url}/console/members.html")
    assert wait_ready(page, "members") == "ready"
    tab_to(page, "q")
    page.keyboard.type(NUMBERS["keyboard"])
    page.keyboard.press("Enter")
    expect(page.locator("#members-results-title")).to_be_focused()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "上传档案":
            break
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    assert wait_ready(page, "archive") == "ready"

    tab_to(page, "archive-file")
    assert focus_is_visible(page)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files=[{"name": "入团志愿书.pdf", "mimeType": "application/pdf",
                                    "buffer": good_pdf(NUMBERS["keyboard"])}])
    tab_to(page, "archive-upload-button")
    page.keyboard.press("Enter")
    verdict = page.locator("#archive-verdict")
    expect(verdict).to_be_focused(timeout=60_000)
    expect(verdict.locator("#archive-verdict-title")).to_have_text("档案已接收：第 1 版")


# --- narrow screens ------------------------------------------------------------------------------


def test_the_member_pages_fit_a_phone(new_context: Callable[..., tuple[BrowserContext, RequestLog]], base_url: str,
                                      stack: RunningStack) -> None:
    from tests.e2e.browser.support import NARROW

    member_id = demo_member(stack, "screenshots", "截图测试")
    context, _log = new_context(viewport=NARROW)
    page = context.new_page()

    def no_horizontal_scroll() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], page.url

    sign_in(page, base_url, "branch")
    page.goto(f"{base_url}/console/member-new.html")
    wait_ready(page, "member-new")
    page.click("#member-new-form button[type=submit]")
    expect(page.locator(".zhtj-error-summary")).to_be_in_viewport()
    no_horizontal_scroll()
    assert page.locator("#member-new-form button[type=submit]").bounding_box()["width"] > 300
    page.goto(f"{base_url}/console/members.html")
    wait_ready(page, "members")
    page.fill("#q", NUMBERS["screenshots"])
    page.click("#members-form button[type=submit]")
    expect(page.locator("#members-rows tr")).to_have_count(1)
    no_horizontal_scroll()  # the table scrolls inside its own region
    open_archive(page, base_url, member_id)
    no_horizontal_scroll()



# --- the import page, which now shares the upload module -----------------------------------------


def test_the_import_page_still_uploads_with_progress_and_reports(page: Page, base_url: str) -> None:
    """A dry run (试导入 writes nothing) of one good and one bad row through import.html, whose
    upload and start-up code the member pages now share (upload.js, startOrgPage)."""
    from tests.e2e.test_imports import row
    from tests.unit.imports._support import filled_template

    data = filled_template([row(901, "202332000009"), row(902, "202332000010", 手机号码="123")])
    sign_in(page, base_url, "branch")
    page.goto(f"{base_url}/console/import.html")
    assert wait_ready(page, "import") == "ready"
    page.check("#dry_run")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page.set_input_files("#file", files=[{"name": "初三（1）班.xlsx", "buffer": data, "mimeType": xlsx}])
    watch_progress(page, "import-progress-bar")
    page.click("#import-form button[type=submit]")
    result = page.locator("#import-result")
    expect(result).to_be_focused(timeout=60_000)
    expect(page.locator("#import-result-title")).to_have_text("试导入完成")
    failures = page.locator("#import-failures-list li")
    expect(failures).to_have_count(1)  # the short mobile number; the first row would be imported
    expect(failures.first).to_contain_text("“123”不是有效的11位手机号码")
    assert 100 in page.evaluate("window.progressSeen")
