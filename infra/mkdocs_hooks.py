"""MkDocs hooks for the zhtj site (``hooks:`` in mkdocs.yml).

Two jobs:

1. **Generated content.** Pages and downloadable files computed at build time (the
   allocation table, the import templates, ...) are never checked in by hand (DESIGN.md,
   "Shape"). They come from *generators*: plain functions ``generate(site: SiteContent) ->
   None`` listed in :data:`GENERATORS` as ``"module.path:function"``. A generator calls

   - :meth:`SiteContent.add_page` to add a Markdown page, or to replace a checked-in
     placeholder page (``replace_placeholder=True``, e.g. ``allocation.md``);
   - :meth:`SiteContent.add_file` to add any other file (bytes or text); when ``title`` is
     given the file is also listed on the 下载 page, wherever that page contains
     :data:`DOWNLOADS_MARKER`.

   A new page must also be added to ``nav`` in mkdocs.yml (the build warns about pages left
   out of the nav, and ``--strict`` turns that into an error); a replaced placeholder keeps
   its nav entry. Generators run once per build, in the order listed, in ``on_files``. ``<repo>`` and
   ``<repo>/functions`` are put on ``sys.path`` first, so ``zhtj.*`` and ``infra.*`` import.
   A generator receives :class:`SiteContent` and never imports this module (MkDocs loads
   hooks by file path, so an ``import infra.mkdocs_hooks`` would be a second, separate copy).
   Any error in a generator fails the build. With no generators nothing is generated and
   the 下载 page says so.

2. **Chinese search.** Material's search plugin segments Chinese with jieba only when jieba
   is importable; without it the index holds whole sentences. ``on_config`` therefore logs a
   warning (which fails ``mkdocs build --strict``) when jieba is missing, and adds the few
   domain words in :data:`SEARCH_WORDS` that jieba's default dictionary segments badly.
"""

from __future__ import annotations

import importlib
import logging
import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.zhtj")

Generator = Callable[["SiteContent"], None]

#: Generators run at build time, as "module.path:function". Add one line per generator.
GENERATORS: tuple[str | Generator, ...] = (
    "infra.site_generators.allocation:generate",
    "infra.site_generators.templates:generate",
    "infra.site_generators.pdfjs:generate",
    "infra.site_generators.member_rules:generate",
    "infra.site_generators.capacity:generate",
)

#: Where a page wants the list of downloadable files (see ``site/downloads.md``).
DOWNLOADS_MARKER = "<!-- zhtj:downloads -->"

#: Words added to jieba's dictionary, with the frequency that makes jieba keep them whole.
#: "上传" is otherwise cut as 上/传入/团 in "上传入团志愿书".
SEARCH_WORDS: dict[str, int] = {"上传": 200_000}

# Site paths of generated content: ASCII, relative, no "..", so URLs and S3 keys stay plain.
_URI = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")


@dataclass(frozen=True)
class GeneratedPage:
    uri: str  # source path relative to docs_dir, e.g. "allocation.md"
    markdown: str
    replace_placeholder: bool
    generator: str


@dataclass(frozen=True)
class GeneratedFile:
    uri: str  # path in the built site, e.g. "downloads/member-import.xlsx"
    content: bytes
    title: str | None  # when set, the file is listed on the 下载 page
    description: str
    generator: str


class SiteContent:
    """What the generators of one build contribute to the site."""

    def __init__(self, repo_root: Path, docs_dir: Path) -> None:
        self.repo_root = repo_root
        self.docs_dir = docs_dir
        self._pages: dict[str, GeneratedPage] = {}
        self._files: dict[str, GeneratedFile] = {}
        self._current = "<direct>"

    @property
    def pages(self) -> list[GeneratedPage]:
        return list(self._pages.values())

    @property
    def files(self) -> list[GeneratedFile]:
        return list(self._files.values())

    @property
    def downloads(self) -> list[GeneratedFile]:
        return [f for f in self._files.values() if f.title is not None]

    def add_page(self, uri: str, markdown: str, *, replace_placeholder: bool = False) -> None:
        """Add the Markdown page ``uri`` (relative to docs_dir, ending in ``.md``).

        ``replace_placeholder=True`` replaces the checked-in page of the same path (which must
        exist); otherwise the path must be new.
        """
        self._check_uri(uri)
        if not uri.endswith(".md"):
            raise ValueError(f"generated page {uri!r}: a page path ends in .md")
        exists = (self.docs_dir / uri).is_file()
        if replace_placeholder and not exists:
            raise ValueError(f"generated page {uri!r}: no placeholder page to replace")
        if exists and not replace_placeholder:
            raise ValueError(f"generated page {uri!r}: exists in docs_dir; pass replace_placeholder=True")
        self._pages[uri] = GeneratedPage(uri, markdown, replace_placeholder, self._current)

    def add_file(
        self,
        uri: str,
        content: bytes | str,
        *,
        title: str | None = None,
        description: str = "",
    ) -> None:
        """Add the file ``uri`` to the built site, copied as is (text is written as UTF-8).

        With ``title`` the file is listed on the 下载 page (title, description, size).
        """
        self._check_uri(uri)
        if uri.endswith(".md"):
            raise ValueError(f"generated file {uri!r}: use add_page for Markdown pages")
        if (self.docs_dir / uri).exists():
            raise ValueError(f"generated file {uri!r}: exists in docs_dir")
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        self._files[uri] = GeneratedFile(uri, data, title, description, self._current)

    def _check_uri(self, uri: str) -> None:
        if not _URI.fullmatch(uri) or ".." in uri.split("/"):
            raise ValueError(f"generated path {uri!r}: use a relative ASCII path like 'downloads/x.xlsx'")
        if uri.startswith("_snippets/"):
            raise ValueError(f"generated path {uri!r}: _snippets/ is not published")
        if uri in self._pages or uri in self._files:
            raise ValueError(f"generated path {uri!r}: already generated")


def load_generator(spec: str) -> Generator:
    """Resolve ``"module.path:function"``."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"generator {spec!r}: expected 'module.path:function'")
    func = getattr(importlib.import_module(module_name), attr)
    if not callable(func):
        raise TypeError(f"generator {spec!r} is not callable")
    return func  # type: ignore[no-any-return]


def collect(repo_root: Path, docs_dir: Path, generators: Iterable[str | Generator]) -> SiteContent:
    """Run ``generators`` in order and return what they contributed."""
    site = SiteContent(repo_root, docs_dir)
    for gen in generators:
        name = gen if isinstance(gen, str) else getattr(gen, "__qualname__", repr(gen))
        site._current = name
        try:
            (load_generator(gen) if isinstance(gen, str) else gen)(site)
        except Exception as exc:
            raise PluginError(f"站点生成器 {name} 失败：{exc}") from exc
    site._current = "<direct>"
    return site


def apply_to_files(site: SiteContent, files: Files, config: MkDocsConfig) -> Files:
    """Put the generated pages and files into MkDocs' file collection."""
    for page in site.pages:
        if page.replace_placeholder:
            placeholder = files.get_file_from_path(page.uri)
            if placeholder is not None:
                files.remove(placeholder)
        files.append(File.generated(config, page.uri, content=page.markdown))
    for gen in site.files:
        files.append(File.generated(config, gen.uri, content=gen.content))
    return files


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_downloads(site: SiteContent | None, page_uri: str) -> str:
    """The Markdown that replaces :data:`DOWNLOADS_MARKER` on the page ``page_uri``."""
    downloads = site.downloads if site else []
    if not downloads:
        return (
            '!!! note "目前没有可下载的文件"\n\n'
            "    本次构建没有生成任何下载文件：导入模板的生成程序尚未接入。"
            "接入后，生成的文件会自动列在这里。\n"
        )
    base = posixpath.dirname(page_uri) or "."
    rows = ["| 文件 | 说明 | 大小 |", "|---|---|---|"]
    for f in sorted(downloads, key=lambda d: d.uri):
        link = posixpath.relpath(f.uri, base)
        rows.append(f"| [{_cell(f.title or f.uri)}]({link}) | {_cell(f.description)} | {_size(len(f.content))} |")
    return "\n".join(rows) + "\n"


# --- MkDocs events ---------------------------------------------------------------------------

_site: SiteContent | None = None


def _tune_jieba() -> None:
    try:
        import jieba
    except ImportError:
        log.warning("未安装 jieba：搜索索引将不做中文分词（pip install jieba）")
        return
    jieba.setLogLevel(logging.WARNING)
    for word, freq in SEARCH_WORDS.items():
        jieba.add_word(word, freq)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _site
    _site = None
    repo_root = Path(config.config_file_path).resolve().parent
    for path in (repo_root / "functions", repo_root):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    _tune_jieba()
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    global _site
    repo_root = Path(config.config_file_path).resolve().parent
    _site = collect(repo_root, Path(config.docs_dir), GENERATORS)
    if _site.pages or _site.files:
        log.info("生成的页面 %d 个、文件 %d 个", len(_site.pages), len(_site.files))
    return apply_to_files(_site, files, config)


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    if DOWNLOADS_MARKER in markdown:
        markdown = markdown.replace(DOWNLOADS_MARKER, render_downloads(_site, page.file.src_uri))
    return markdown


def on_post_build(*, config: MkDocsConfig) -> None:
    # Needs the final HTML, which generators (on_files) never see: the CSP hashes of the inline
    # scripts Material writes into every page (infra/site_generators/csp.py → csp-hashes.json).
    from infra.site_generators.csp import on_post_build as write_csp_hashes

    write_csp_hashes(Path(config.site_dir))
