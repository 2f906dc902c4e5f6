"""Administration under /admin/: one module per subject, all on one blueprint
(endpoints ``admin.<view>``), and the event log and the statistics as packages
of their own (page, CSV and charts apart; the CSV writer in csvfile.py).

Importing the modules registers their views on the blueprint.
"""

from .blueprint import bp
from . import accounts, login, sessions, tablets, units  # noqa: F401  (views)
from . import faults  # noqa: F401  (views: room health)
from .stats import faults as stats_faults  # noqa: F401  (views: room-health statistics)
from .eventlog import export as eventlog_export, page as eventlog_page  # noqa: F401  (views)
from .stats import charts as stats_charts, export as stats_export, page as stats_page  # noqa: F401  (views)

__all__ = ["bp"]
from . import bookings as room_bookings  # noqa: F401,E402  (views: a room's bookings and calendar)
from . import booking_list  # noqa: F401,E402  (views: every booking of the units seen, by range)
from .stats import bookings as stats_bookings  # noqa: F401,E402  (views: booking statistics)
