"""What a rendered page looks like, in numbers: is it blank, how many pixels of a colour it has."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

WHITE = (255, 255, 255)
PAGE_BACKGROUND = (0xF3, 0xF5, 0xF8)
TABLE_HEADER = (0xDF, 0xE7, 0xF1)  # table.data th, _layout.html.j2
CHART_BAR = (0x1F, 0x4E, 0x79)  # dataplatform.reports.charts.PRIMARY


def ink_share(png: Path) -> float:
    """Share of pixels that are neither white nor the page background."""
    image = Image.open(png).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height)
    blank = sum(n for n, c in colours if c in (WHITE, PAGE_BACKGROUND))
    return 1 - blank / (image.width * image.height)


def distinct_colours(png: Path) -> int:
    image = Image.open(png).convert("RGB")
    return len(image.getcolors(maxcolors=image.width * image.height))


def pixels_of(png: Path, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    """Pixels within ``tolerance`` of ``colour`` on every channel."""
    image = Image.open(png).convert("RGB")
    return sum(
        n
        for n, c in image.getcolors(maxcolors=image.width * image.height)
        if all(abs(a - b) <= tolerance for a, b in zip(c, colour, strict=True))
    )
