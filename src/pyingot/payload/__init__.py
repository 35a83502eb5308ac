"""The payload: the packed format (``packing``), the runtime settings it carries
(``settings``), and reading an executable back (``inspect``).

docs/packed-format.md specifies all three; the Rust runtime reads the same bytes.
"""
