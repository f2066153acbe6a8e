"""Logging filters."""

from __future__ import annotations

import logging


class QuietForbidden(logging.Filter):
    """Keep the one-line "Forbidden" warning Django logs for a 403, without its full traceback.

    A 403 is an expected answer (a role that lacks an action), not a fault; a traceback for each
    buried real errors in the log. Server errors keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
