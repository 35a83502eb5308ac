"""Tier 1: unit and byte-level tests (config, policies, the payload format)."""
