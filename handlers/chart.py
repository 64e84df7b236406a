"""The pipeline chart: won expansion revenue by month and by type, one row per currency, as PNG bytes.

matplotlib is imported only when a chart is drawn (it is slow to import), with the Agg backend: no
display, safe in a server thread.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

MONTH_COLOUR = "#2e7d32"
TYPE_COLOUR = "#1565c0"
_LOCK = threading.Lock()  # pyplot keeps global state: one drawing at a time


@dataclass(frozen=True)
class Row:
    """One currency's bars: months (YYYY-MM) and types, with the amounts and how to write them."""

    currency: str
    months: tuple[tuple[str, float], ...]
    types: tuple[tuple[str, float], ...]
    total: str  # the row's total, already formatted for its currency


def png(rows: list[Row], title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    with _LOCK:
        fig, axes = plt.subplots(
            len(rows),
            2,
            figsize=(9, 2.4 * len(rows) + 0.6),
            squeeze=False,
            gridspec_kw={"width_ratios": [3, 1]},
        )
        try:
            fig.suptitle(title, fontsize=11)
            for (by_month, by_type), row in zip(axes, rows, strict=True):
                by_month.bar([m[2:] for m, _ in row.months], [v for _, v in row.months], color=MONTH_COLOUR)
                by_month.set_title(f"{row.currency}: won by month (12 months: {row.total})", fontsize=9)
                by_type.bar([t for t, _ in row.types], [v for _, v in row.types], color=TYPE_COLOUR)
                by_type.set_title(f"{row.currency}: by type", fontsize=9)
                for ax in (by_month, by_type):
                    ax.tick_params(labelsize=7)
                    ax.spines[["top", "right"]].set_visible(False)
                    ax.yaxis.set_major_formatter(_short)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=80)
            return out.getvalue()
        finally:
            plt.close(fig)


def _short(value: float, _pos: int) -> str:
    """Axis ticks in thousands / millions, without a currency (the row's title says which)."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"
