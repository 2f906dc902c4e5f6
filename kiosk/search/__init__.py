"""Search across checklists and guides."""
