"""What the benchmarks share: the moved clock, ports, and a content folder of their own."""

from __future__ import annotations

import shutil
import socket
import sys
from datetime import time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Between the morning's last booking (11.00, over by 11.45) and the afternoon's
# first (13.00, "soon" from 12.45): no room's day changes by time alone, so a
# run measures the steady state wherever the machine's clock stands.
QUIET = time(12, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def move_clock_to(at: time) -> float:
    """Move this process's kiosk clock to ``at`` (Stockholm) on the last weekday up
    to today; return the offset in seconds that the servers are given
    (kiosk.clock.OFFSET_ENV) so they read the same moved clock.

    A weekday, so that a unit's opening hours never put the boards to sleep; a
    fixed wall time, so a run measures the same moment of the day whenever it runs.
    """
    from kiosk import clock

    clock.reset()
    now = clock.now()
    day = clock.local_date(now)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    offset = (clock.wall(day, at) - now).total_seconds()
    clock.advance(timedelta(seconds=offset))
    return offset


def copy_content(into: Path) -> Path:
    """A copy of the kiosk's content folder (KIOSK_CONTENT_DIR) that a benchmark may edit."""
    target = into / "content"
    shutil.copytree(ROOT / "kiosk" / "content", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target
