"""The e-mailed approval page in a real browser at phone size (390×844): open the link from the
outbox, see the member's details and the first page of the 入团志愿书 rendered by pdf.js (no
inline PDF viewer on Android Chrome), approve with the keyboard by typing the last four digits,
see the result. Also: the token leaves the address bar, and the page does not scroll sideways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.browser.support import BROWSER, PHONE, SCREENSHOTS
from tests.e2e.conftest import RunningStack
from tests.e2e.test_approval_links import APPROVER, pending_link, token_of, wait_mails

pytestmark = BROWSER

CSP_LISTENER = """
window.__zhtjCsp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__zhtjCsp.push(e.effectiveDirective + ' ' + e.blockedURI));
"""

# Share of the canvas's sampled pixels that are not white: the page was really drawn.
INKED = """(canvas) => {
  const { width, height } = canvas;
  const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  let inked = 0, seen = 0;
  for (let i = 0; i < data.length; i += 4 * 97) {
    seen += 1;
    if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) inked += 1;
  }
  return { width, height, inked, seen };
}"""


def test_approve_on_a_phone(stack: RunningStack, new_context: Callable[..., Any]) -> None:
    member_id, number, token = pending_link(stack, "手机审批")
    (message,) = wait_mails(stack, APPROVER, "手机审批", "待审批", 1)
    assert token_of(message) == token
    context, log = new_context(viewport=PHONE)
    page = context.new_page()
    violations: list[str] = []  # pdf.js must run under the site's CSP (no eval, no wasm, no inline)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(CSP_LISTENER)
    page.goto(f"{stack.url}/console/approve.html#t={token}")
    page.wait_for_selector("#approve:is([data-state=ready], [data-state=refused])")
    assert page.get_attribute("#approve", "data-state") == "ready", page.inner_text("#approve")
    assert "#t=" not in page.url  # the token left the address bar (and the history)
    details = page.inner_text("#approve-member")
    assert "手机审批" in details and f"{number[:8]}****" in details and number not in details

    page.wait_for_selector("#approve-pdf:is([data-state=ready], [data-state=error])", timeout=30_000)
    assert page.get_attribute("#approve-pdf", "data-state") == "ready", page.inner_text("#approve-pdf")
    assert page.get_attribute("#approve-pdf", "data-rendered-page") == "1"
    drawn: dict[str, Any] = page.eval_on_selector("#approve-pdf-canvas", INKED)
    assert drawn["width"] > 0 and drawn["inked"] > 0, drawn
    box = page.locator("#approve-pdf-canvas").bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert any("/assets/vendor/pdfjs/pdf.worker.min.mjs" in url for url in log.urls)

    # the keyboard: focus the digits field, type, Enter submits the 同意 form
    page.focus("#last_four")
    page.keyboard.type(number[-4:])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "approval-phone.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#approve[data-state=decided]")
    assert not violations and page.evaluate("window.__zhtjCsp") == [], (violations, page.evaluate("window.__zhtjCsp"))
    assert "团员身份已认证" in page.inner_text("#approve-done")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "approve-done"
    page.screenshot(path=str(SCREENSHOTS / "approval-phone-done.png"), full_page=True)

    archive = stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
    assert archive["archive_state"] == "团员身份已认证"

    # the same link again (a reload, or a second tap in the e-mail): a clear page, no details
    again = context.new_page()
    again.goto(f"{stack.url}/console/approve.html#t={token}")
    again.wait_for_selector("#approve[data-state=refused]")
    assert again.get_attribute("#approve", "data-code") == "already_decided"
    assert "已处理" in again.inner_text("#approve-refused") and "手机审批" not in again.inner_text("#approve")


@pytest.mark.parametrize("fragment", ["", "#t=not-a-token", "#t=" + "A" * 43])
def test_a_broken_link_says_so(stack: RunningStack, new_context: Callable[..., Any],
                               fragment: str) -> None:
    context, _log = new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{stack.url}/console/approve.html{fragment}")
    page.wait_for_selector("#approve[data-state=refused]")
    assert "链接无效" in page.inner_text("#approve-refused")
    assert page.is_hidden("#approve-view")
