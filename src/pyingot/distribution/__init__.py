"""Static CPython distributions: built from source, or read from PBS archives."""
