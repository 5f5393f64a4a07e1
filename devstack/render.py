"""Look at what people receive: HTML pages and emails rendered to PNG by headless Chromium.

Used by the rendering tests and by ``make examples`` (the pictures under ``docs/examples/``).
Chromium comes from Debian's ``chromium`` package; :func:`ensure_chromium` installs it where the
repo's setup can (root with apt-get) and otherwise says why it cannot.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

#: Flags for a headless Chromium on a machine without a display or internet (no background
#: connections, no sandbox as root, a fresh profile each time).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
PAGE_BACKGROUND = (0xF3, 0xF5, 0xF8)  # body background of the report templates


class ChromiumUnavailable(RuntimeError):
    """Chromium is not installed and cannot be installed here; the message says why."""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ensure_chromium() -> str:
    """The Chromium binary, installing Debian's package (apt-get, as root) if it is missing."""
    if found := chromium():
        return found
    from devstack.apt import AptUnavailable, apt_install

    try:
        apt_install("chromium", "fonts-dejavu-core")
    except AptUnavailable as err:
        raise ChromiumUnavailable(str(err)) from err
    if found := chromium():
        return found
    raise ChromiumUnavailable("apt-get installed chromium but no chromium binary is on PATH")


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    binary = chromium()
    if binary is None:
        raise ChromiumUnavailable("chromium is not installed (python -m devstack ensure-chromium)")
    with tempfile.TemporaryDirectory(prefix="dp-chromium-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def screenshot(html: Path, png: Path, *, width: int = 820, max_height: int = 9000) -> Path:
    """Render ``html`` to ``png`` at ``width`` px, cropped below the page's content."""
    from PIL import Image

    result = _run([f"--window-size={width},{max_height}", f"--screenshot={png}", html.resolve().as_uri()])
    if not png.exists():
        raise RuntimeError(f"chromium wrote no screenshot of {html}: {result.stderr[-800:]}")
    image = Image.open(png).convert("RGB")
    bottom = _content_bottom(image)
    image.crop((0, 0, image.width, min(image.height, bottom + 24))).save(png)
    return png


def _content_bottom(image) -> int:
    """The last row that is not the page background."""
    width, height = image.size
    pixels = image.load()
    for y in range(height - 1, -1, -1):
        if any(pixels[x, y] != PAGE_BACKGROUND for x in range(0, width, 4)):
            return y
    return 0


@dataclass(frozen=True)
class PageFacts:
    """What the browser saw once the page loaded."""

    images: int
    images_loaded: int
    tables: int
    table_rows: int


_PROBE = """
<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.setAttribute("data-probe", [images.length,
    images.filter(i => i.complete && i.naturalWidth > 0).length,
    document.querySelectorAll("table.data").length,
    document.querySelectorAll("table.data tr").length].join(","));
});
</script>
"""


def page_facts(html: Path) -> PageFacts:
    """Count the images that loaded and the data tables, as Chromium's DOM has them after load."""
    with tempfile.TemporaryDirectory(prefix="dp-probe-") as tmp:
        probe = Path(tmp, "probe.html")
        probe.write_text(html.read_text().replace("</body>", _PROBE + "</body>"))
        for name in os.listdir(html.parent):  # images next to the page
            if name.endswith(".png"):
                shutil.copy(html.parent / name, Path(tmp, name))
        result = _run(["--virtual-time-budget=5000", "--dump-dom", probe.as_uri()])
    match = re.search(r'data-probe="(\d+),(\d+),(\d+),(\d+)"', result.stdout)
    if not match:
        raise RuntimeError(f"chromium did not run the page probe: {result.stderr[-800:]}")
    return PageFacts(*map(int, match.groups()))


def email_page(message: EmailMessage, directory: Path) -> Path:
    """The email's HTML part as a page in ``directory``, its inline images beside it (``cid:`` ->
    file names), as a mail client shows it."""
    directory.mkdir(parents=True, exist_ok=True)
    html = ""
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get("Content-ID"):
            name = part["Content-ID"].strip("<>")
            (directory / f"{name}.png").write_bytes(part.get_payload(decode=True))
        elif part.get_content_type() == "text/html" and part.get_content_disposition() != "attachment":
            html = part.get_content()
    if not html:
        raise ValueError(f"email {message['Subject']!r} has no HTML part")
    page = directory / "email.html"
    page.write_text(re.sub(r'src="cid:([^"]+)"', r'src="\1.png"', html))
    return page
