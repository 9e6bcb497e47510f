"""The approval pages' assets: pdf.js comes from the npm lock into the built site (never from
site/), the version is the locked one, and the pages load only files that exist, with no
inline script or style (the CSP has no 'unsafe-inline')."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from infra.site_generators import pdfjs
from tests.conftest import ROOT


class Collected:
    def __init__(self) -> None:
        self.repo_root = ROOT
        self.files: dict[str, bytes | str] = {}

    def add_file(self, uri: str, content: bytes | str, **_: Any) -> None:
        assert uri not in self.files
        self.files[uri] = content


def test_pdfjs_is_copied_from_the_locked_package() -> None:
    site = Collected()
    pdfjs.generate(site)
    base = pdfjs.SITE_DIR
    expected = {"pdf.min.mjs", "pdf.worker.min.mjs", "LICENSE", "cmaps/UniGB-UCS2-H.bcmap",
                "standard_fonts/LiberationSans-Regular.ttf", "wasm/openjpeg_nowasm_fallback.js"}
    assert {f"{base}/{name}" for name in expected} <= set(site.files)
    assert site.files[f"{base}/VERSION"] == f"pdfjs-dist {pdfjs.locked_version(ROOT)}\n"
    assert not (ROOT / "site" / "assets" / "vendor").exists()  # never checked in under site/


def test_the_pages_load_only_existing_files_and_inline_nothing() -> None:
    console = ROOT / "site" / "console"
    for page in ("approve.md", "approvals.md"):
        text = (console / page).read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text) and "<style" not in text and " style=" not in text
        assert not re.search(r"\son[a-z]+=", text)
        for src in re.findall(r'(?:src|href)="([^"#:]+\.(?:js|css))"', text):
            assert (console / src).is_file(), src
    viewer = (console / "js" / "pdf-view.js").read_text(encoding="utf-8")
    assert "isEvalSupported: false" in viewer and "useWasm: false" in viewer
    for module in re.findall(r'from "\./([a-z-]+\.js)"', "".join(
            (console / "js" / name).read_text(encoding="utf-8") for name in ("approve.js", "approvals.js"))):
        assert (console / "js" / module).is_file(), module
    assert Path(pdfjs.web_dir(ROOT) / "package-lock.json").is_file()
