"""Tier 2: inside the real embedded interpreter, one process per test."""
