"""Administration: accounts, rooms and tablets, statistics, the audit log."""
