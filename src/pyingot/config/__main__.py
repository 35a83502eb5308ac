"""``python -m pyingot.config`` prints the reference page, docs/configuration.md."""

import sys

from pyingot.config.reference import reference_markdown

sys.stdout.write(reference_markdown())
