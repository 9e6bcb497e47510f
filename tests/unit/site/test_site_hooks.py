"""infra/mkdocs_hooks.py: the registry of generated pages and files, and the download listing."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import get_files

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def hooks() -> Iterator[ModuleType]:
    """A private copy of the hook module, loaded by file path as MkDocs does."""
    name = "zhtj_site_hooks_under_test"
    spec = importlib.util.spec_from_file_location(name, REPO / "infra" / "mkdocs_hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)


@pytest.fixture
def site(hooks):
    return hooks.SiteContent(REPO, REPO / "site")


def _config(tmp_path: Path):
    return load_config(config_file=str(REPO / "mkdocs.yml"), site_dir=str(tmp_path / "out"))


# --- SiteContent ---------------------------------------------------------------------------------


def test_registered_generators_produce_the_allocation_page_and_the_templates(hooks):
    site = hooks.collect(REPO, REPO / "site", hooks.GENERATORS)
    assert "allocation.md" in [p.uri for p in site.pages]
    downloads = {f.uri: f for f in site.downloads}
    expected = {"downloads/zhtj-member-import-template.xlsx", "downloads/zhtj-branch-import-template.xlsx"}
    assert expected <= set(downloads)
    member_template = downloads["downloads/zhtj-member-import-template.xlsx"]
    assert member_template.content[:2] == b"PK" and member_template.title == "智慧团建导入团员团干部数据模板.xlsx"


def test_add_page_and_file(site):
    site.add_page("allocation.md", "# 分配表\n", replace_placeholder=True)
    site.add_page("tables/city-32.md", "# 南京\n")
    site.add_file("downloads/member-import.xlsx", b"PK\x03\x04", title="团员导入模板", description="批量录入")
    site.add_file("downloads/readme.txt", "说明")
    assert [p.uri for p in site.pages] == ["allocation.md", "tables/city-32.md"]
    assert [f.uri for f in site.files] == ["downloads/member-import.xlsx", "downloads/readme.txt"]
    assert [f.uri for f in site.downloads] == ["downloads/member-import.xlsx"]
    assert site.files[1].content == "说明".encode()


@pytest.mark.parametrize("uri", ["/abs.md", "../up.md", "a/../b.md", "a//b.md", "中文.md", "a b.md", "a\\b.md", ""])
def test_bad_paths_are_refused(site, uri):
    with pytest.raises(ValueError):
        site.add_page(uri, "x")


def test_page_rules(site):
    with pytest.raises(ValueError, match=r"\.md"):
        site.add_page("downloads/x.xlsx", "x")
    with pytest.raises(ValueError, match="replace_placeholder"):
        site.add_page("allocation.md", "x")  # exists, not declared as a replacement
    with pytest.raises(ValueError, match="placeholder"):
        site.add_page("no-such-page.md", "x", replace_placeholder=True)
    with pytest.raises(ValueError, match="_snippets"):
        site.add_page("_snippets/x.md", "x")
    site.add_page("new.md", "x")
    with pytest.raises(ValueError, match="already"):
        site.add_page("new.md", "y")


def test_file_rules(site):
    with pytest.raises(ValueError, match="add_page"):
        site.add_file("x.md", "x")
    with pytest.raises(ValueError, match="exists"):
        site.add_file("assets/zhtj.css", "x")
    site.add_file("downloads/a.xlsx", b"1")
    with pytest.raises(ValueError, match="already"):
        site.add_page("downloads/a.xlsx", "x")


# --- generators ----------------------------------------------------------------------------------


def test_generators_run_in_order_and_are_recorded(hooks):
    calls = []

    def first(site):
        calls.append("first")
        site.add_file("downloads/a.txt", "a", title="A")

    def second(site):
        calls.append("second")
        assert site.repo_root == REPO
        site.add_page("allocation.md", "# 表\n", replace_placeholder=True)

    site = hooks.collect(REPO, REPO / "site", [first, second])
    assert calls == ["first", "second"]
    assert site.files[0].generator.endswith("first")
    assert site.pages[0].generator.endswith("second")


def test_a_failing_generator_fails_the_build(hooks):
    def broken(site):
        raise RuntimeError("no data")

    with pytest.raises(PluginError, match="no data"):
        hooks.collect(REPO, REPO / "site", [broken])


def test_generator_specs(hooks):
    assert hooks.load_generator("os.path:join") is os.path.join
    for bad in ("os.path", ":join", "os.path:"):
        with pytest.raises(ValueError):
            hooks.load_generator(bad)
    with pytest.raises(PluginError):
        hooks.collect(REPO, REPO / "site", ["no_such_module_zhtj:generate"])


# --- download listing ----------------------------------------------------------------------------


def test_downloads_listing_when_empty(hooks):
    text = hooks.render_downloads(None, "downloads.md")
    assert "目前没有可下载的文件" in text
    assert "目前没有可下载的文件" in hooks.render_downloads(hooks.SiteContent(REPO, REPO / "site"), "downloads.md")


def test_downloads_listing(hooks, site):
    site.add_file("downloads/member-import.xlsx", b"x" * 2048, title="团员|导入模板", description="批量\n录入")
    site.add_file("downloads/hidden.bin", b"x")  # no title: not listed
    text = hooks.render_downloads(site, "downloads.md")
    assert "[团员\\|导入模板](downloads/member-import.xlsx)" in text
    assert "批量 录入" in text and "2.0 KB" in text
    assert "hidden.bin" not in text
    assert "(../downloads/member-import.xlsx)" in hooks.render_downloads(site, "console/index.md")


def test_marker_is_replaced(hooks):
    page = SimpleNamespace(file=SimpleNamespace(src_uri="downloads.md"))
    out = hooks.on_page_markdown(f"# 下载\n\n{hooks.DOWNLOADS_MARKER}\n", page=page, config=None, files=None)
    assert hooks.DOWNLOADS_MARKER not in out
    assert "目前没有可下载的文件" in out
    assert hooks.on_page_markdown("# 其他\n", page=page, config=None, files=None) == "# 其他\n"


# --- into MkDocs ---------------------------------------------------------------------------------


def test_on_files_adds_generated_content(tmp_path):
    """Through MkDocs' own event dispatch, as in a build."""
    config = _config(tmp_path)
    module = next(iter(config.hooks.values()))  # the copy MkDocs loaded by file path

    def generate(site):
        site.add_page("allocation.md", "# 生成的分配表\n", replace_placeholder=True)
        site.add_file("downloads/member-import.xlsx", b"PK", title="团员导入模板")

    module.GENERATORS = (generate,)
    files = config.plugins.on_files(get_files(config), config=config)
    allocation = files.get_file_from_path("allocation.md")
    assert allocation.generated_by == "infra/mkdocs_hooks.py"
    assert allocation.content_string == "# 生成的分配表\n"
    assert len([f for f in files if f.src_uri == "allocation.md"]) == 1
    assert files.get_file_from_path("downloads/member-import.xlsx").content_bytes == b"PK"


def test_a_real_build_with_a_generator(tmp_path):
    """End to end through MkDocs: what a later generator (allocation table, templates) will do."""
    config = _config(tmp_path)
    module = next(iter(config.hooks.values()))  # the copy MkDocs loaded by file path

    def generate(site):
        site.add_page("allocation.md", "# 附件1 分配表\n\n演示数据，仅为示意。\n", replace_placeholder=True)
        site.add_file("downloads/member-import.xlsx", b"PK\x03\x04demo", title="团员导入模板", description="演示")

    module.GENERATORS = (generate,)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    out = Path(config.site_dir)
    assert "尚未生成" not in (out / "allocation.html").read_text(encoding="utf-8")
    assert (out / "downloads" / "member-import.xlsx").read_bytes() == b"PK\x03\x04demo"
    downloads = (out / "downloads.html").read_text(encoding="utf-8")
    assert 'href="downloads/member-import.xlsx"' in downloads
    assert "目前没有可下载的文件" not in downloads
