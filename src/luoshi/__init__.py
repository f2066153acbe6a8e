"""Luoshi (落实): carry an education plan from words to results."""
__version__ = "0.1.0"
