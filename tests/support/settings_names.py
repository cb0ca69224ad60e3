"""The names of the environment variables the settings read, taken from the settings module
itself, so that tests of the docs and the Docker files follow it instead of a copied list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from core.settings import from_env


class RecordingEnvironment(Mapping[str, str]):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def known_names() -> set[str]:
    """Every environment variable ``from_env`` reads."""
    environment = RecordingEnvironment()
    from_env(environment)
    return environment.asked
