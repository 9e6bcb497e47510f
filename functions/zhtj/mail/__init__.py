"""E-mail templates: the one source of truth for every message the system sends (Approvals).

Each message is two files in ``templates/`` beside this module (shipped with the Lambda
package, whose CodeUri is ``functions/``; ``templates/email`` at the repository root only
re-exports this module, as ``templates/`` does for the import templates):

* ``{name}.txt`` — first line ``Subject: …``, a blank line, then the plain-text body;
* ``{name}.html`` — the HTML body (simple markup, no external resources, no scripts).

Placeholders are ``${name}`` (:class:`string.Template`). A plain ``str`` value is inserted
as is into the text and HTML-escaped into the HTML; a :class:`Alternatives` value carries a
text rendering and an already-escaped HTML rendering (lists, links). Every placeholder must
be given (a missing one raises ``KeyError``): a message never goes out half-rendered.

Nothing here may put an ID number or a raw token anywhere but where the caller asked; the
callers (zhtj.services.approvals, zhtj.services.reminders) pass only whitelisted fields.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Final

TEMPLATE_DIR: Final = Path(__file__).resolve().with_name("templates")
_SUBJECT_PREFIX: Final = "Subject:"


@dataclass(frozen=True)
class Alternatives:
    """A value rendered differently in the two bodies; ``html`` is inserted unescaped."""

    text: str
    html: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


Value = str | Alternatives


def names() -> list[str]:
    """The templates that exist (both files present)."""
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.txt") if p.with_suffix(".html").is_file())


@lru_cache(maxsize=32)
def _load(name: str) -> tuple[Template, Template, Template]:
    if name not in names():
        raise KeyError(f"no e-mail template named {name!r}")
    text = (TEMPLATE_DIR / f"{name}.txt").read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith(_SUBJECT_PREFIX):
        raise ValueError(f"e-mail template {name}.txt must start with 'Subject: '")
    markup = (TEMPLATE_DIR / f"{name}.html").read_text(encoding="utf-8")
    return Template(first[len(_SUBJECT_PREFIX):].strip()), Template(body.lstrip("\n")), Template(markup)


def render(name: str, values: Mapping[str, Value]) -> Rendered:
    subject, text, markup = _load(name)
    as_text = {k: v.text if isinstance(v, Alternatives) else v for k, v in values.items()}
    as_html = {k: v.html if isinstance(v, Alternatives) else html.escape(v) for k, v in values.items()}
    one_line = {k: " ".join(v.split()) for k, v in as_text.items()}
    return Rendered(subject=subject.substitute(one_line), text=text.substitute(as_text),
                    html=markup.substitute(as_html))


def html_list(items: list[str]) -> str:
    """An escaped ``<ul>`` of plain-text items (empty string for no items)."""
    if not items:
        return ""
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def text_list(items: list[str]) -> str:
    return "\n".join(f"  · {item}" for item in items)
