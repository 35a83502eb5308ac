"""Tier 3: real executables built from fixture projects and examples, then run."""
