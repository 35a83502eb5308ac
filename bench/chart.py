"""Draw bench/results/compare.png from compare.json: start-up and size per tool and app.

    <bench tools venv>/bin/python bench/chart.py compare.json compare.png

Run by compare.py with the benchmark's tools environment, which has matplotlib.
Bars are medians on a logarithmic axis (the values span two orders of
magnitude); an application a tool could not build or run is marked "n/a"
where its bar would be.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {
    "pyingot": "#d95f02",
    "pyinstaller-onefile": "#7570b3",
    "pyinstaller-onedir": "#a6a1d9",
    "nuitka-onefile": "#1b9e77",
    "shiv": "#e7298a",
    "pex": "#66a61e",
    "python-pyingot": "#9e9e9e",
    "python-host": "#cfcfcf",
}


def series(data: dict) -> list[tuple[str, str]]:
    """(key, legend label) for every column, in the order of the tables."""
    interp = data["interpreters"]
    minor = ".".join(interp["host"]["version"].split(".")[:2])
    out = [(k, label) for k, label in data["tools"].items()]
    out.append(("python-pyingot", f"python{minor} app.py ({interp['pyingot']['version']})"))
    out.append(("python-host", f"python{minor} app.py ({interp['host']['version']})"))
    return out


def value(data: dict, app: str, key: str, what: str) -> float | None:
    cell = data["builds"].get(app, {}).get(key)
    if not cell or cell["status"] != "ok":
        return None
    if what == "size":
        size = cell.get("size_bytes")
        return size / 2**20 if size else None
    s = data["startup"].get(f"{app}|{key}")
    return s["median_ms"] if s else None


def main() -> int:
    data = json.loads(Path(sys.argv[1]).read_text())
    apps = list(data["apps"])
    cols = series(data)
    fig, axes = plt.subplots(2, 1, figsize=(13, 9.5), constrained_layout=True)
    panels = [
        ("startup", "start-up to exit, median (ms, log scale)", axes[0]),
        ("size", "output size (MiB, log scale; shiv/pex need a Python besides)", axes[1]),
    ]
    for what, title, ax in panels:
        shown = [c for c in cols if what == "startup" or not c[0].startswith("python-")]
        width = 0.8 / len(shown)
        for i, (key, label) in enumerate(shown):
            xs = [a + (i - (len(shown) - 1) / 2) * width for a in range(len(apps))]
            shown_x, shown_v = [], []
            for x, app in zip(xs, apps, strict=True):
                v = value(data, app, key, what)
                if v is None:
                    # Not built or not working: say so where the bar would be.
                    ax.text(
                        x,
                        0.02,
                        "n/a",
                        ha="center",
                        va="bottom",
                        rotation=90,
                        fontsize=8,
                        color=COLORS.get(key, "#888888"),
                        transform=ax.get_xaxis_transform(),
                    )
                    continue
                shown_x.append(x)
                shown_v.append(v)
                text = f"{v:.0f}" if v >= 10 else f"{v:.2g}"
                ax.text(x, v * 1.06, text, ha="center", va="bottom", fontsize=7, rotation=90)
            ax.bar(shown_x, shown_v, width, color=COLORS.get(key, "#888888"), label=label)
        ax.set_yscale("log")
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_xticks(range(len(apps)))
        ax.set_xticklabels([f"{a}\n({data['apps'][a]['about']})" for a in apps])
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.set_axisbelow(True)
        top = ax.get_ylim()[1]
        ax.set_ylim(top=top * 3)
    axes[0].legend(ncol=4, fontsize=9, loc="upper left")
    fig.suptitle(
        f"pyingot against the interpreter and other tools — {data['date']}, {data['machine']}",
        fontsize=10,
    )
    fig.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
