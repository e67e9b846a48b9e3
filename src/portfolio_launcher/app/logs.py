"""Log files: one per bot and one for the launcher, rotated, with every secret masked."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path

from portfolio_launcher.core.secrets import redact

MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Masks secret values in the final message text of every record."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message, mask it, and keep the record."""
        text = redact(record.getMessage(), self._secrets)
        record.msg, record.args = text, None
        return True


# At DEBUG these libraries write full notifier URLs, tokens included, before our filter could
# see them (apprise rebuilds the URL): keep them at INFO whatever the run's level.
QUIET_LIBRARIES = ("apprise", "urllib3")


class RunLogs:
    """The loggers of one run; `close()` detaches and closes every file handler."""

    def __init__(self, folder: Path, level: str, bot_ids: Sequence[str], secrets: Sequence[str]):
        folder.mkdir(parents=True, exist_ok=True)
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.INFO)
        self._handlers: list[tuple[logging.Logger, logging.Handler]] = []
        self._filter = RedactingFilter(secrets)
        self.launcher = self._logger("portfolio_launcher.run", folder / "launcher.log", level)
        self.bots = {
            bot_id: self._logger(
                f"portfolio_launcher.run.bot.{bot_id}", folder / f"{bot_id}.log", level
            )
            for bot_id in bot_ids
        }

    def _logger(self, name: str, path: Path, level: str) -> logging.Logger:
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        logger.propagate = False
        handler = RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(self._filter)
        logger.addHandler(handler)
        self._handlers.append((logger, handler))
        return logger

    def bot(self, bot_id: str, level: int, message: str) -> None:
        """A line in the bot's own log (and warnings and worse in the launcher's too)."""
        self.bots[bot_id].log(level, message)
        if level >= logging.WARNING:
            self.launcher.log(level, "%s: %s", bot_id, message)

    def close(self) -> None:
        """Flush and detach every handler (idempotent)."""
        for logger, handler in self._handlers:
            logger.removeHandler(handler)
            handler.close()
        self._handlers.clear()
