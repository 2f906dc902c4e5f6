"""The checklists of the routine (see views.py)."""
