"""The guides of the routine (see views.py)."""
