"""The layout of a case's family network: the person in the middle, relatives on an ellipse.

Pure geometry, drawn as SVG by the case template: no JavaScript, no library. The text list
under the drawing says the same for screen readers and small screens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 800
HEIGHT_MIN = 240
LABEL_MAX = 28


@dataclass(frozen=True)
class Node:
    """A relative's position, their label's anchor and the middle of the edge to the centre."""

    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor: start, middle or end
    edge_x: float
    edge_y: float
    name: str
    tie: str
    href: str
    targeted: bool


def short(text: str, limit: int = LABEL_MAX) -> str:
    """A label that fits the drawing (the full name is in the list below it)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def layout(relatives: list[dict[str, object]]) -> tuple[int, float, float, list[Node]]:
    """(height, centre x, centre y, nodes) for relatives given as dicts with name, tie (the
    edge label), href ('' when they have no case page) and targeted (a bool)."""
    n = len(relatives)
    height = max(HEIGHT_MIN, min(520, 160 + 24 * n))
    cx, cy = WIDTH / 2, height / 2
    rx, ry = WIDTH / 2 - 240, height / 2 - 40
    nodes = []
    for i, rel in enumerate(relatives):
        # start at the top and go clockwise; one relative sits straight above
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        cos, sin = math.cos(angle), math.sin(angle)
        x, y = cx + rx * cos, cy + ry * sin
        if abs(cos) < 0.2:
            anchor, lx, ly = "middle", x, y + (-14 if sin < 0 else 22)
        else:
            anchor = "start" if cos > 0 else "end"
            lx, ly = x + (12 if cos > 0 else -12), y + 5
        nodes.append(
            Node(
                x=round(x, 1),
                y=round(y, 1),
                label_x=round(lx, 1),
                label_y=round(ly, 1),
                anchor=anchor,
                # the kinship label sits nearer the relative than the crowded centre
                edge_x=round(cx + 0.62 * (x - cx), 1),
                edge_y=round(cy + 0.62 * (y - cy) - 4, 1),
                name=short(str(rel["name"])),
                tie=short(str(rel["tie"]), 24),
                href=str(rel.get("href") or ""),
                targeted=bool(rel.get("targeted")),
            )
        )
    return height, cx, cy, nodes
