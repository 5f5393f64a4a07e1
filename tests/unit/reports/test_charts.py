"""The charts are readable: titled, labelled, and no two tick labels overlap, even with long names."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from PIL import Image

from dataplatform.reports import charts

MONTHS = [dt.date(2025 + (10 + m) // 12, (10 + m) % 12 + 1, 1) for m in range(12)]  # Nov 2025 .. Oct 2026


def overlapping_labels(fig) -> list[tuple[str, str]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    clashes = []
    for ax in fig.axes:
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels if t.get_text()]
            for i, (a, box_a) in enumerate(boxes):
                for b, box_b in boxes[i + 1 :]:
                    if box_a.overlaps(box_b):
                        clashes.append((a, b))
    return clashes


def test_the_monthly_chart_has_twelve_short_labels_that_do_not_overlap():
    values = [None] * 9 + [Decimal("15096631.67"), Decimal("15473009.08"), Decimal("14467915.59")]
    fig = charts.monthly_bars(
        MONTHS, values, title="Revenue", value_label="Billed revenue (EUR)", currency="EUR"
    )
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Revenue" and ax.get_ylabel() == "Billed revenue (EUR)"
    assert ax.get_xlabel() == "Month"
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "Oct\n2026"
    assert overlapping_labels(fig) == []
    assert sum(t.get_text() == "no\ndata" for t in ax.texts) == 9
    assert (
        charts.compact_money("EUR")(14_467_915) == "14.5M EUR"
        and charts.compact_money("EUR")(350_000) == "350k EUR"
    )


def test_bar_charts_with_long_names_keep_labels_apart_and_inside_the_picture():
    names = [
        "Helvetic Health Insurance Cooperative",
        "Nordic Mutual",
        "Self-pay",
        "Atlantic Care",
        "Iberia Salud",
    ]
    fig = charts.horizontal_bars(
        names,
        [0.31, 0.2, 0.19, 0.17, 0.13],
        title="Payer mix",
        value_label="Share",
        reference=0.2,
        reference_label="all",
    )
    assert overlapping_labels(fig) == []
    fig.canvas.draw()
    width = fig.get_window_extent().width
    for label in fig.axes[0].get_yticklabels():
        box = label.get_window_extent(fig.canvas.get_renderer())
        assert box.x0 >= 0 and box.x1 <= width, label.get_text()
    assert [t.get_text() for t in fig.axes[0].texts] or fig.axes[0].containers  # values printed on bars
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "all: 20.0 %"


def test_png_is_the_configured_size():
    fig = charts.horizontal_bars(["a"], [0.5], title="t", value_label="v")
    image = Image.open(io.BytesIO(charts.png(fig)))
    assert image.format == "PNG" and image.size == (960, 480)
