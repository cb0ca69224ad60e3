"""The web console's static files (issue 15): plain HTML, ES modules and one stylesheet,
served as they are by :mod:`api.resources.console`; no build step."""

from pathlib import Path

#: The directory of every file the console serves.
STATIC = Path(__file__).resolve().parent / "static"
