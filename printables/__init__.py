"""Printables: door signs, checklists, patient handouts and staff cards as PDF."""
