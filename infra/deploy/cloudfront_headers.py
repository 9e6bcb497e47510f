"""The CloudFront response-headers policies in template.yaml, generated from the local front's rules.

One source of truth, two renderings (``infra/local/headers.py``): the local front asks the
:class:`~infra.local.headers.HeaderPolicy` for the headers of every response; the distribution
attaches the same policy's CloudFront rendering to its cache behaviours. The rendering lives
*in* template.yaml — between the two marker lines below (infra/deploy/generated.py says why) —
and is never edited by hand:

    make cloudfront-headers     # builds the site, then rewrites the block

and ``tests/unit/site/test_template_headers.py`` rebuilds the site and fails when the block differs
from what this module renders (a new Material release changes its inline scripts, and so the
site CSP's hashes; a changed rule in headers.py changes a policy).

Two things differ from the local rendering, both because CloudFront serves HTTPS on AWS:
``tls=True`` (HSTS), and the storage origins — the archive bucket, to which the console POSTs
presigned uploads and from which pdf.js fetches presigned PDFs — are CloudFormation expressions.
The adapters presign for the bucket's regional virtual-host name (``BUCKET.s3.REGION.amazonaws.com``,
``….amazonaws.com.cn`` in China; ``zhtj.adapters.aws`` says why not the global one), so that is
the one form allowed: it names this one bucket, never the shared endpoint. The bucket's name is
spelled out as in ``UploadQueuePolicy`` (the bucket depends on nothing here, and no cycle forms).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra.deploy.generated import GeneratedBlock
from infra.local.headers import HASHES_FILE, HeaderPolicy, InlineHashes, cloudformation_resources
from infra.local.template import TEMPLATE_PATH

BLOCK = GeneratedBlock(
    "  # BEGIN generated: make cloudfront-headers (infra/deploy/cloudfront_headers.py); do not edit.\n",
    "response-headers policies")

ARCHIVE_BUCKET = "zhtj-${Stage}-archives-${AWS::AccountId}-${AWS::Region}"

#: The storage origins as placeholders HeaderPolicy accepts, and what each stands for in ``!Sub``.
STORAGE_ORIGINS: dict[str, str] = {
    "https://archive-bucket-regional.invalid": f"https://{ARCHIVE_BUCKET}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}",
}


def deployed_policy(hashes: InlineHashes) -> HeaderPolicy:
    """The policy CloudFront applies: the local rules, the site's hashes, TLS, the placeholders."""
    return HeaderPolicy(hashes, tuple(STORAGE_ORIGINS), tls=True)


def _substitute(node: Any) -> Any:
    """Replace the placeholder origins by their CloudFormation expressions (``Fn::Sub``)."""
    if isinstance(node, dict):
        return {key: _substitute(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(value) for value in node]
    if isinstance(node, str) and any(placeholder in node for placeholder in STORAGE_ORIGINS):
        for placeholder, expression in STORAGE_ORIGINS.items():
            node = node.replace(placeholder, expression)
        return {"Fn::Sub": node}
    return node


def template_resources(hashes: InlineHashes) -> dict[str, Any]:
    """The ``AWS::CloudFront::ResponseHeadersPolicy`` resources as they stand in template.yaml."""
    resources: dict[str, Any] = _substitute(cloudformation_resources(deployed_policy(hashes)))
    return resources


def render_block(hashes: InlineHashes) -> str:
    """The block between the markers, indented as resources under ``Resources:``."""
    return BLOCK.render(template_resources(hashes))


def current_block(template_text: str) -> str:
    return BLOCK.current(template_text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy.cloudfront_headers",
                                     description="Write (or --check) the response-headers policies in template.yaml.")
    parser.add_argument("--site-dir", type=Path, default=Path("build/site"),
                        help="the built site (its csp-hashes.json)")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument("--check", action="store_true", help="only report a difference (exit 1), write nothing")
    args = parser.parse_args(argv)
    if not (args.site_dir / HASHES_FILE).is_file():
        parser.error(f"{args.site_dir / HASHES_FILE} is missing: build the site first (mkdocs build)")
    return BLOCK.update(args.template, render_block(InlineHashes.read(args.site_dir)), check=args.check)


if __name__ == "__main__":
    raise SystemExit(main())
