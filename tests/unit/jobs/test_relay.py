"""The standalone relay builds only what it uses: the database and a publishing broker."""

from __future__ import annotations

import subprocess
import sys

#: Modules of the image pipeline (the object store, downloads, Pillow): the relay needs none.
PIPELINE_MODULES = ("jobs.runtime", "jobs.pipeline", "jobs.storage", "jobs.fetch", "PIL")


def test_the_relay_imports_nothing_of_the_image_pipeline():
    # A fresh interpreter: this test process may have imported them already.
    script = (
        "import sys, jobs.relay\n"
        f"print(','.join(m for m in {PIPELINE_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
