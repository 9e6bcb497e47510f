"""``python -m templates.email [NAME]``: list the e-mail templates or show one (see __init__)."""

from __future__ import annotations

import sys

from zhtj.mail import TEMPLATE_DIR, names

if len(sys.argv) < 2:
    print("\n".join(names()))
else:
    name = sys.argv[1]
    print((TEMPLATE_DIR / f"{name}.txt").read_text(encoding="utf-8"))
