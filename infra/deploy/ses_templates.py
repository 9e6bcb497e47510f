"""The SES templates in template.yaml, generated from the package's e-mail templates.

One source of truth: the files in ``functions/zhtj/mail/templates`` (zhtj.mail). render()
fills them for the local outbox and the tests, and decides what each part receives; the
``AWS::SES::Template`` resources written here between the marker lines are the same files with
every ``${name}`` as a Handlebars triple brace (:func:`zhtj.mail.ses_parts`), which SES fills
from the TemplateData SesMailer sends — the values render() inserted, already escaped. Triple
braces insert a value as is: SES's escaping of double braces cannot be verified offline, and
ours is tested. Never edited by hand:

    make ses-templates          # rewrites the block

and ``tests/unit/test_ses_templates.py`` fails when the block differs from the package's files,
or when what SES would render differs from render().
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from infra.deploy.generated import GeneratedBlock
from infra.local.template import TEMPLATE_PATH
from zhtj.mail import names, ses_parts

BLOCK = GeneratedBlock("  # BEGIN generated: make ses-templates (infra/deploy/ses_templates.py); do not edit.\n",
                       "SES templates")

#: What a template's name starts with on a stage; template.yaml's Globals pass the same
#: expression as ZHTJ_MAIL_TEMPLATE_PREFIX (Settings.mail_template_prefix), and the functions'
#: SES statements allow ``template/`` + this + ``*``.
NAME_PREFIX = "zhtj-${Stage}-"


def logical_id(name: str) -> str:
    return "MailTemplate" + "".join(word.capitalize() for word in name.split("_"))


def template_resources() -> dict[str, Any]:
    """The ``AWS::SES::Template`` resources as they stand in template.yaml."""
    return {
        logical_id(name): {"Type": "AWS::SES::Template",
                           "Properties": {"Template": {"TemplateName": {"Fn::Sub": NAME_PREFIX + name},
                                                       **ses_parts(name)}}}
        for name in names()
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line parts as literal blocks, so that the template reads like the files."""


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _literal)


def render_block() -> str:
    return BLOCK.render(template_resources(), dumper=_Dumper)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy.ses_templates",
                                     description="Write (or --check) the SES templates in template.yaml.")
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument("--check", action="store_true", help="only report a difference (exit 1), write nothing")
    args = parser.parse_args(argv)
    return BLOCK.update(args.template, render_block(), check=args.check)


if __name__ == "__main__":
    raise SystemExit(main())
