"""Report charts (matplotlib, headless Agg backend): readable at a glance in an email.

Every chart has a title, units on the value axis and labelled axes; labels are placed by
matplotlib's constrained layout and month labels are short (``Nov`` over ``2026``) so they never
overlap. Figures are ``CHART_SIZE`` inches at ``CHART_DPI`` (shown 640 px wide in emails).
Import this module inside tasks only: matplotlib costs ~0.3 s to import.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

CHART_SIZE = (8.0, 4.0)
CHART_DPI = 120
#: Bars of the report's own period, other periods, and a reference line.
PRIMARY = "#1f4e79"
SECONDARY = "#8fb4d9"
REFERENCE = "#c0392b"
MISSING = "#b0b0b0"

Number = float | int | Decimal


def _figure(title: str) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=CHART_SIZE, dpi=CHART_DPI, layout="constrained")
    ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def compact_money(currency: str) -> Callable[[float, int], str]:
    """Axis labels such as ``1.2M EUR`` / ``350k EUR``."""

    def label(value: float, _pos: int = 0) -> str:
        size = abs(value)
        if size >= 1e6:
            text = f"{value / 1e6:.1f}M"
        elif size >= 1e3:
            text = f"{value / 1e3:.0f}k"
        else:
            text = f"{value:.0f}"
        return f"{text} {currency}"

    return label


def monthly_bars(
    months: Sequence[dt.date],
    values: Sequence[Number | None],
    *,
    title: str,
    value_label: str,
    currency: str,
) -> Figure:
    """One bar per month, the last (the report's month) highlighted; a month without data is a
    grey "no data" mark instead of a zero bar."""
    fig, ax = _figure(title)
    xs = range(len(months))
    heights = [float(v) if v is not None else 0.0 for v in values]
    colors = [PRIMARY if i == len(months) - 1 else SECONDARY for i in xs]
    ax.bar(xs, heights, color=colors, width=0.7)
    top = max(heights) if any(heights) else 1.0
    for i, v in zip(xs, values, strict=True):
        if v is None:
            ax.text(i, top * 0.02, "no\ndata", ha="center", va="bottom", fontsize=7, color=MISSING)
    ax.set_xticks(list(xs), [f"{m:%b}\n{m:%Y}" for m in months], fontsize=8)
    ax.set_xlabel("Month")
    ax.set_ylabel(value_label)
    ax.set_ylim(0, top * 1.12)
    ax.yaxis.set_major_formatter(FuncFormatter(compact_money(currency)))
    ax.grid(axis="x", visible=False)
    return fig


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[Number | None],
    *,
    title: str,
    value_label: str,
    percent: bool = True,
    reference: Number | None = None,
    reference_label: str | None = None,
) -> Figure:
    """One horizontal bar per label (largest on top), its value printed at the end of the bar;
    ``reference`` draws a vertical line (e.g. the overall rate)."""
    fig, ax = _figure(title)
    pairs = [(label, float(v) if v is not None else 0.0) for label, v in zip(labels, values, strict=True)]
    ys = range(len(pairs))
    bars = ax.barh(list(ys), [v for _, v in pairs], color=PRIMARY, height=0.6)
    ax.set_yticks(list(ys), [label for label, _ in pairs], fontsize=9)
    ax.invert_yaxis()
    fmt = (lambda v: f"{v * 100:.1f} %") if percent else (lambda v: f"{v:,.0f}")
    ax.bar_label(bars, labels=[fmt(v) for _, v in pairs], padding=3, fontsize=9)
    ax.xaxis.set_major_formatter(
        PercentFormatter(1.0, symbol=" %") if percent else FuncFormatter(lambda v, _p: f"{v:,.0f}")
    )
    ax.set_xlabel(value_label)
    widest = max((v for _, v in pairs), default=0.0)
    limit = max(widest, float(reference or 0)) * 1.18 or 1.0
    ax.set_xlim(0, limit)
    if reference is not None:
        ax.axvline(
            float(reference),
            color=REFERENCE,
            linestyle="--",
            linewidth=1.2,
            label=f"{reference_label or 'reference'}: {fmt(float(reference))}",
        )
        ax.legend(loc="lower right", fontsize=8, frameon=True, framealpha=0.9)
    ax.grid(axis="y", visible=False)
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (and closed: figures are not kept in a long-lived worker)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    plt.close(fig)
    return buffer.getvalue()
