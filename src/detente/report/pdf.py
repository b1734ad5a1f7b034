"""The report as a PDF, printed by headless Chromium (the browser's own print engine, with the
report's A4 print styles). Without Chromium, print the HTML report from any browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import InputError, RunError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")


def browser() -> str:
    """The Chromium to print with: ``$DETENTE_CHROMIUM`` or the first of :data:`BROWSERS` on PATH."""
    chosen = os.environ.get("DETENTE_CHROMIUM") or next((b for b in BROWSERS if shutil.which(b)), None)
    if not chosen or not shutil.which(chosen):
        raise InputError("printing a PDF needs Chromium (set DETENTE_CHROMIUM to its path); or open the HTML "
                         "report in a browser and print it to PDF (A4 styles are built in)", field="--pdf")
    return chosen


def print_pdf(html: Path | str, pdf: Path | str, timeout: float = 180) -> Path:
    """Print the HTML file ``html`` to ``pdf`` with headless Chromium; return the PDF's path."""
    html, pdf = Path(html).resolve(), Path(pdf)
    command = [browser(), *FLAGS]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run its sandbox as root
    with tempfile.TemporaryDirectory() as profile:
        command += [f"--user-data-dir={profile}", f"--print-to-pdf={pdf.resolve()}", html.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RunError(f"Chromium did not finish printing {pdf} within {timeout:.0f} s") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise RunError(f"Chromium could not print {pdf}: {done.stderr.strip()[-300:]}")
    return pdf
