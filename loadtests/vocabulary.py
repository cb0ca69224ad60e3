"""The fixed word list seeded product names are made of ("brass desk lamp", "oak mirror").

Names are a material, sometimes a qualifier, and a noun: 20 words of each, so every word of
a given position appears in about 1 in 20 names (qualifiers in 1 in 40), which gives the
name filter realistic, selective matches. Words are lowercase ASCII without tabs or
backslashes, so they go into COPY's text format unescaped. Changing a list changes the names
of products seeded afterwards only; already seeded rows stay as they are.
"""

from __future__ import annotations

import random

MATERIALS: tuple[str, ...] = (
    "brass", "oak", "walnut", "steel", "linen", "wool", "cotton", "leather", "ceramic",
    "glass", "copper", "bamboo", "marble", "velvet", "pine", "cedar", "concrete", "rattan",
    "wicker", "porcelain",
)
QUALIFIERS: tuple[str, ...] = (
    "desk", "side", "floor", "wall", "ceiling", "coffee", "dining", "garden", "kitchen",
    "bedside", "reading", "storage", "folding", "round", "tall", "mini", "vintage", "modern",
    "outdoor", "travel",
)
NOUNS: tuple[str, ...] = (
    "lamp", "table", "chair", "stool", "shelf", "mirror", "rug", "vase", "bowl", "mug",
    "clock", "bench", "cabinet", "basket", "blanket", "cushion", "candle", "tray", "planter",
    "kettle",
)

#: Every word a seeded name can contain.
WORDS: tuple[str, ...] = MATERIALS + QUALIFIERS + NOUNS


def product_name(rng: random.Random) -> str:
    """A name of two or three vocabulary words, drawn from ``rng`` (so seeding is repeatable)."""
    material = rng.choice(MATERIALS)
    noun = rng.choice(NOUNS)
    # Always draw the qualifier, used or not, so each name takes the same number of draws.
    qualifier = rng.choice(QUALIFIERS)
    if rng.random() < 0.5:
        return f"{material} {noun}"
    return f"{material} {qualifier} {noun}"
