"""The site builds with ``mkdocs build --strict``; configuration, navigation and page content."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mkdocs.config import load_config


class _Headings(HTMLParser):
    """Collects (tag, id, text) of h1–h4 elements, without the permalink '¶'."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str | None, str]] = []
        self._open: tuple[str, str | None, list[str]] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"h1", "h2", "h3", "h4"}:
            self._open = (tag, dict(attrs).get("id"), [])
        elif tag == "a" and self._open and "headerlink" in (dict(attrs).get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skip:
            self._skip -= 1
        elif self._open and tag == self._open[0]:
            self.headings.append((self._open[0], self._open[1], "".join(self._open[2]).strip()))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._open[2].append(data)


def headings(html: str) -> list[tuple[str, str | None, str]]:
    parser = _Headings()
    parser.feed(html)
    return parser.headings


def article(html: str) -> str:
    """The page's main content (between <article ...> and </article>)."""
    start = html.index("<article")
    return html[start : html.index("</article>", start)]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- (a) the strict build ------------------------------------------------------------------------


def test_strict_build_succeeds(built_site):
    assert built_site.result.returncode == 0
    for page in (
        "index.html",
        "notice.html",
        "allocation.html",
        "guide.html",
        "entry-steps.html",
        "faq.html",
        "rules.html",
        "downloads.html",
        "console/index.html",
        "search/search_index.json",
    ):
        assert (built_site.dir / page).is_file(), page


def test_strict_build_fails_without_jieba(build_site, tmp_path: Path):
    """Without jieba the hook warns, so a strict build cannot silently ship an unsegmented index."""
    blocker = tmp_path / "blocker" / "jieba"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('jieba blocked for this test')\n")
    result = build_site(tmp_path / "out", extra_env={"PYTHONPATH": str(blocker.parent)})
    assert result.returncode != 0
    assert "jieba" in result.stdout + result.stderr


# --- configuration -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def config(repo_root: Path):
    return load_config(config_file=str(repo_root / "mkdocs.yml"))


def test_config_basics(config, repo_root: Path):
    assert "智慧团建" in config.site_name and "开源实现" in config.site_name
    assert Path(config.docs_dir) == repo_root / "site"
    assert Path(config.site_dir) == repo_root / "build" / "site"
    assert config.theme.name == "material"
    assert config.theme["language"] == "zh"
    assert config.theme["font"] is False
    features = config.theme["features"]
    for feature in ("navigation.sections", "search.suggest", "search.highlight"):
        assert feature in features


def test_config_search_is_chinese(config):
    search = config.plugins["material/search"].config
    assert search.lang == ["zh"]
    assert "\\u200b" in search.separator  # jieba's segments are joined by U+200B


def test_config_loads_nothing_from_outside(config):
    plugins = set(config.plugins)
    for name in ("material/social", "material/offline", "material/privacy"):
        assert name not in plugins, name  # social cards / unpkg shim / build-time downloads
    assert config.extra.get("generator") is False  # no "Made with Material" external link
    assert not config.extra.get("analytics")
    assert not config.extra_javascript
    assert all(not re.match(r"(https?:)?//", css) for css in config.extra_css)
    assert not config.site_url  # no canonical <link href="https://...">


def test_config_markdown_extensions(config):
    for ext in ("tables", "admonition", "attr_list", "toc"):
        assert ext in config.markdown_extensions
    assert config.mdx_configs["toc"]["permalink"] is True


NAV = [
    "首页",
    "通知",
    "附件1 分配表",
    "附件2 操作指引",
    "录入操作步骤",
    "常见问题",
    "规则摘要",
    "下载",
    "控制台",
]


def test_navigation(built_site):
    html = built_site.read("index.html")
    nav = html[html.index("md-nav--primary") : html.index("md-sidebar--secondary")]
    labels = re.findall(r'<span class="md-ellipsis">\s*([^<]*?)\s*</span>', nav)
    assert list(dict.fromkeys(label for label in labels if label in NAV)) == NAV
    assert 'href="console/index.html"' in nav


# --- (d) the notice ------------------------------------------------------------------------------


def test_notice_sections_and_figures(built_site):
    html = built_site.read("notice.html")
    h2 = [text for tag, _id, text in headings(html) if tag == "h2"]
    assert h2 == ["一、工作原则", "二、2023年发展团员计划", "三、工作要求"]
    h1 = [text for tag, _id, text in headings(html) if tag == "h1"]
    assert h1 == ["关于做好2023年全省发展团员调控工作的通知"]
    body = text_of(article(html))
    assert "18.2万" in body
    for required in (
        "共青团江苏省委",
        "团苏组字〔2023〕2号",
        "共青团江苏省委组织部",
        "2023年3月14日",
        "联系人：张 恒",
        "025-83393560",
        "3393575@163.com",
        "不是",
    ):
        assert required in body, required


def test_notice_line_break_artefacts_are_joined(built_site):
    body = text_of(article(built_site.read("notice.html")))
    assert "各年级“班班建支部”的原则制定发展计划" in body
    assert "拉长、做精入团积极分子培养周期" in body
    assert "电子数据库建设操作指引" in body


def test_notice_items_are_anchored(built_site):
    html = built_site.read("notice.html")
    for anchor in ("s1-1", "s1-2", "s2-1", "s2-2", "s2-3", "s2-4", "s2-5", "s3-1", "s3-2", "s3-3", "s3-4"):
        assert f'id="{anchor}"' in html, anchor


# --- the attachments -----------------------------------------------------------------------------


def test_guide_sections(built_site):
    html = built_site.read("guide.html")
    texts = [text for _tag, _id, text in headings(html)]
    for section in (
        "0. 【目的】",
        "1. 【内容】",
        "2. 【时限】",
        "3. 【操作步骤】",
        "4. 【工作要求】",
        "5. 【常见问题 Q&A】",
        "3.2.1 团支部 / 团总支管理员上传",
        "3.4 完成团员身份认证",
    ):
        assert section in texts, section
    body = text_of(article(html))
    assert "若审批不通过" in body
    assert "(第一版 2020 年)" in body


def _qa_section(html: str) -> str:
    body = article(html)
    return text_of(body[body.index('id="s5"') :])


def test_faq_is_the_guides_section_5(built_site):
    faq = built_site.read("faq.html")
    questions = [text for tag, _id, text in headings(faq) if tag == "h3"]
    assert [q.split(" ", 1)[0] for q in questions] == [f"5.{i}" for i in range(1, 9)]
    assert "系统统计新发展团员数量时" in text_of(faq)
    assert _qa_section(faq) == _qa_section(built_site.read("guide.html"))


def test_entry_steps_say_the_source_is_truncated(built_site):
    body = text_of(article(built_site.read("entry-steps.html")))
    assert "下载系统反馈的具有失败原因的 Excel 表格，管理员" in body
    assert "原文至此中断" in body
    assert 'href="https://zhtj.youth.cn/zhtj"' in built_site.read("entry-steps.html")


# --- the other pages -----------------------------------------------------------------------------


def test_allocation_page_is_honest(built_site):
    # The placeholder is replaced by the generated table (infra/site_generators/allocation.py),
    # which says on the page that it is illustrative.
    body = text_of(article(built_site.read("allocation.html")))
    assert "尚未生成" not in body
    assert "本表为演示数据，仅作示意，非官方附件1" in body


def test_downloads_page_lists_what_was_generated(built_site):
    body = text_of(article(built_site.read("downloads.html")))
    assert "zhtj:downloads" not in built_site.read("downloads.html")  # the hook replaced the marker
    assert "目前没有可下载的文件" not in body
    for listed in ("智慧团建导入团员团干部数据模板.xlsx", "智慧团建导入下级组织数据模板.xlsx"):
        assert listed in body
    page = built_site.read("downloads.html")
    assert 'href="downloads/zhtj-member-import-template.xlsx"' in page


def test_rules_summary(built_site):
    body = text_of(article(built_site.read("rules.html")))
    for fact in (
        "年满14周岁",
        "思政课考评优良",
        "8学时团课学习合格",
        "年度20小时志愿服务",
        "十步骤、三公示、六必须",
        "没有列出",
        "2023年6月30日前",
        "不少于50%",
        "2023年12月10日前",
        "须达100%",
        "编号使用率",
        "电子档案录入完整率",
        "不超过20M",
        "30日内",
        "尚未认证",
        "待审批",
        "团员身份已认证",
        "认证不通过",
        "不少于70%",
        "10%左右",
        "30%以内",
        "15%—20%",
    ):
        assert fact in body, fact


def test_home_page(built_site):
    html = built_site.read("index.html")
    body = text_of(article(html))
    assert "仅为示意" in body
    for target in ("notice.html", "guide.html", "faq.html", "downloads.html", "console/index.html"):
        assert f'href="{target}"' in article(html), target
    for audience in ("团支部书记", "团组织管理员", "审批人", "团省委"):
        assert audience in body, audience


def test_console_placeholder(built_site):
    assert "控制台" in text_of(article(built_site.read("console/index.html")))
