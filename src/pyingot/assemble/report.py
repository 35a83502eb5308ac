"""The build summary: what is embedded, by category, and what is not and why."""

from __future__ import annotations

from pathlib import Path

from pyingot.assemble.floor import GlibcFloor
from pyingot.resources.libraries import describe_left_to_system, describe_system_libraries
from pyingot.resources.model import ResourceSet, SkipReason


def report(
    resources: ResourceSet, on_disk: Path | None, floor: GlibcFloor | None = None
) -> list[str]:
    """The build summary: what is embedded, by category, and what is not and why;
    the glibc the executable needs."""
    lines = [line.strip() for line in resources.summary().render().splitlines()]
    if on_disk is not None:
        dists = ", ".join(resources.on_disk_distributions)
        lines.append(f"on disk, beside the executable: {on_disk.name}/ ({dists})")
    system = describe_system_libraries(resources.shared_libraries)
    if system is not None:
        lines.append(system)
    left = describe_left_to_system(resources.left_to_system)
    if left is not None:
        lines.append(left)
    by_reason: dict[SkipReason, list[str]] = {}
    for s in resources.skipped:
        # Not finding a module of another platform (_winapi, msvcrt) is expected.
        if s.reason is not SkipReason.OTHER_PLATFORM:
            by_reason.setdefault(s.reason, []).append(s.name)
    for reason, skipped in by_reason.items():
        shown = ", ".join(skipped[:8]) + (" ..." if len(skipped) > 8 else "")
        lines.append(f"not embedded, {reason.value}: {shown}")
    lines += [f"not embedded: {problem}" for problem in resources.problems]
    if floor is not None and (needs := floor.describe()) is not None:
        lines.append(needs)
    return lines
