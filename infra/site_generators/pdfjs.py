"""Generator: pdf.js (npm package ``pdfjs-dist``) copied into the built site under
``assets/vendor/pdfjs/`` — never checked in under ``site/`` (DESIGN "Shape").

Why pdf.js in the page, not page images rendered by the worker: the approval page must show
the 入团志愿书 itself on a phone, and Android Chrome shows no inline PDF (an ``<iframe>`` or
``<embed>`` of a PDF offers a download instead). Rendering images in the worker would need a
rasteriser in the Lambda package (poppler or pdfium: native code, tens of MB, another parser
of untrusted PDFs on the server) and would store a second, derived copy of every archive;
pdf.js renders the very file that was approved, in the browser's sandbox, from the same
short-lived presigned GET the console uses. It is loaded from the site's own origin (the site
works offline, CSP ``script-src 'self'``/``worker-src 'self'``), with ``isEvalSupported:
false`` (no ``'unsafe-eval'``) and without WebAssembly (``useWasm: false``: the JavaScript
fallback decoders, so the CSP needs no ``'wasm-unsafe-eval'``).

Where it comes from: ``infra/web/package.json`` pins the version and ``package-lock.json``
its integrity hash; ``npm ci`` installs it into ``infra/web/node_modules`` (a registry
package: nothing is downloaded at run time). When the installed copy is missing or is not
the locked version, this generator runs ``npm ci`` itself, so a fresh clone builds with no
extra step; without npm the build fails with a message saying what to install.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

SITE_DIR = "assets/vendor/pdfjs"
PACKAGE = "pdfjs-dist"

#: What the page needs, relative to the package: the ES module build and its worker, the
#: character maps (CJK text PDFs), the standard fonts, the ICC profile and the JS fallback
#: decoders (``wasm/``), and the licences.
FILES = ("build/pdf.min.mjs", "build/pdf.worker.min.mjs", "LICENSE")
FOLDERS = ("cmaps", "standard_fonts", "iccs", "wasm")


def web_dir(repo_root: Path) -> Path:
    return repo_root / "infra" / "web"


def locked_version(repo_root: Path) -> str:
    lock = json.loads((web_dir(repo_root) / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"][f"node_modules/{PACKAGE}"]["version"])


def installed_version(repo_root: Path) -> str | None:
    manifest = web_dir(repo_root) / "node_modules" / PACKAGE / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))


def ensure_installed(repo_root: Path) -> Path:
    """The package directory, installed with ``npm ci`` from the lock file when needed."""
    if installed_version(repo_root) != locked_version(repo_root):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("构建站点需要 pdf.js（npm 包 pdfjs-dist）：请安装 Node.js 与 npm，"
                               "或在 infra/web 中运行 npm ci")
        subprocess.run(  # noqa: S603 - fixed argv, the project's own lock file
            [npm, "ci", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=web_dir(repo_root), check=True, timeout=600,
        )
        if installed_version(repo_root) != locked_version(repo_root):
            raise RuntimeError(f"npm ci 未安装锁定版本的 {PACKAGE} {locked_version(repo_root)}")
    return web_dir(repo_root) / "node_modules" / PACKAGE


def generate(site: Any) -> None:
    package = ensure_installed(site.repo_root)
    for name in FILES:
        site.add_file(f"{SITE_DIR}/{Path(name).name}", (package / name).read_bytes())
    for folder in FOLDERS:
        for path in sorted((package / folder).iterdir()):
            if path.is_file():
                site.add_file(f"{SITE_DIR}/{folder}/{path.name}", path.read_bytes())
    site.add_file(f"{SITE_DIR}/VERSION", f"{PACKAGE} {installed_version(site.repo_root)}\n")
