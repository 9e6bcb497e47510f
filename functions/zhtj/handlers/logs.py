"""Logging for every handler: Powertools Logger (structured JSON) with ID-card numbers masked
in every record, whatever field or message they appear in."""

from __future__ import annotations

import logging
import sys
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from zhtj.domain.ids import scrub_resident_ids


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks after serialisation, so nothing escapes: message, extra keys, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub_resident_ids(super().format(record))


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is at the time of writing (Lambda collects stdout;
    a handler bound to the stream of the first call would miss later redirections)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@lru_cache(maxsize=1)
def logger() -> Any:
    return Logger(service="zhtj", logger_formatter=MaskingFormatter(),
                  logger_handler=logging.StreamHandler(_CurrentStdout()))
