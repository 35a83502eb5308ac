"""pyingot: ship a Python application as one executable file."""

__version__ = "0.1.0"
