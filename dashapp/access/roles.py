"""The roles of people and screens: one small module, so the CLI can name them without the store."""

from __future__ import annotations

import enum


class Role(enum.IntEnum):
    """What someone may do; a higher role may do everything a lower one may."""

    viewer = 1  # wall pages, masked comments (a screen or a read-only link)
    analyst = 2  # drill-down, exports, unmasked comments, the figures API
    admin = 3  # users, screens, tokens, labels, the delivery log

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role called *text*; ValueError naming the choices otherwise."""
        try:
            return cls[text.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown role {text!r}; choose {', '.join(r.name for r in cls)}"
            ) from None
