"""The page's filled buttons are read at a glance: their label meets WCAG AA contrast
(4.5:1 for text this size) on their own background, in the stylesheet itself — the
browser test only sees a button when a signal happens to be open at that moment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "src/dexcex/web/static/style.css").read_text()


def _rule(selector: str) -> dict[str, str]:
    m = re.search(r"^" + re.escape(selector) + r"\s*\{([^}]*)\}", CSS, re.M)
    assert m, selector
    return {k.strip(): v.strip() for k, v in (d.split(":", 1) for d in m[1].split(";") if ":" in d)}


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    chans = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in chans]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_is_computed_as_wcag_defines_it() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("selector", ["button", "button.danger"])
def test_a_filled_buttons_label_is_readable_on_it(selector: str) -> None:
    rule = {**_rule("button"), **_rule(selector)}
    assert rule["color"].startswith("#"), f"{selector}: a filled button names its label colour"
    assert contrast(rule["color"], rule["background"]) >= 4.5, rule
