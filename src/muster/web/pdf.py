"""HTML to PDF with headless Chromium, when the machine has it.

The browser is ``MUSTER_CHROMIUM`` (a path) or ``chromium`` / ``chromium-browser`` on
the PATH. It runs in a subprocess with a time limit, on a temporary copy of the page
(``file://``, so the page must carry its own styles and fetch nothing), with a throwaway
profile; the temporary directory goes when it is done.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from muster.errors import MusterError, Unavailable

TIMEOUT_SECONDS = 60.0
CANDIDATES = ("chromium", "chromium-browser")


class PdfUnavailable(MusterError):
    """This server cannot make PDFs (no Chromium)."""

    status = 501
    title = "Not implemented"


def chromium_path(settings_extra: Mapping[str, str]) -> str | None:
    """The Chromium to use: ``MUSTER_CHROMIUM`` if it names an executable file, else
    the first of :data:`CANDIDATES` on the PATH; None when there is none."""
    configured = settings_extra.get("MUSTER_CHROMIUM", "").strip()
    if configured:
        return configured if shutil.which(configured) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def check_pdf_available(settings_extra: Mapping[str, str]) -> str:
    """The Chromium path; :class:`PdfUnavailable` when there is none."""
    found = chromium_path(settings_extra)
    if found is None:
        raise PdfUnavailable(
            "PDF export needs Chromium on the server (install it, or set MUSTER_CHROMIUM "
            "to its path); the HTML report can be printed to PDF from a browser"
        )
    return found


def html_to_pdf(html: str, chromium: str, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """``html`` (a whole self-contained document) printed to PDF by ``chromium``.

    Raises :class:`~muster.errors.Unavailable` when the browser fails or takes longer
    than ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="muster-pdf-") as tmp:
        folder = Path(tmp)
        page, out = folder / "report.html", folder / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={folder / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"PDF rendering took longer than {timeout:g} s") from exc
        except OSError as exc:
            raise Unavailable(f"PDF rendering could not start Chromium: {exc}") from exc
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise Unavailable(
                f"PDF rendering failed (Chromium exit {done.returncode}"
                + (f": {tail[0][:200]}" if tail else "")
                + ")"
            )
        return out.read_bytes()
