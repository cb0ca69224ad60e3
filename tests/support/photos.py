"""The repository's test photos (CC0 and public domain; credits in testdata/photos/README.md)."""

from pathlib import Path

PHOTOS = Path(__file__).resolve().parents[2] / "testdata" / "photos"
