"""Shared test setup: the source roots on sys.path (also when the package is not installed)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "functions", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))
