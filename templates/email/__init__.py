"""E-mail templates — where to find them.

DESIGN "Shape" puts the e-mail templates under ``templates/``. Their one source of truth is
``functions/zhtj/mail/templates/`` (``{name}.txt`` with a ``Subject:`` line, and
``{name}.html``), loaded by ``zhtj.mail``, because the Lambda functions ship only
``functions/`` (one shared CodeUri) and the worker, the API and the scheduled reminders all
send mail. This package only re-exports the loader, so that

    PYTHONPATH=functions python -m templates.email              # list the templates
    PYTHONPATH=functions python -m templates.email approval_request

prints a template with its placeholders left visible. Nothing may be defined here.
"""

from __future__ import annotations

from zhtj.mail import TEMPLATE_DIR, Alternatives, Rendered, names, render

__all__ = ["TEMPLATE_DIR", "Alternatives", "Rendered", "names", "render"]
