"""A benchmark figure, the table `make bench` prints and `bench/results.json` (ignored by git).

Each figure has a stable `name` (the issue's targets use these names), its value and unit, and
where there is one, the raw baseline measured in the same run and the ratio to it. A target is
either on the value (`at_most`/`at_least`) or on the ratio (`ratio_at_least`/`ratio_at_most`):
issue #32's targets are ratios, as the machine's speed moves from day to day and the work a
record costs does not."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results.json"


@dataclass
class Result:
    name: str  # e.g. "bulk_ndjson_10k"
    label: str  # what a reader of the table sees
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str | None = None  # the baseline's own figure, e.g. "raw_put_10k"
    at_least: float | None = None
    at_most: float | None = None
    ratio_at_least: float | None = None
    ratio_at_most: float | None = None  # e.g. a p99 at most 3 x its raw SQL's
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:  # none, or zero
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        if self.at_least is not None:
            return f">= {self.at_least:g} {self.unit}"
        if self.at_most is not None:
            return f"<= {self.at_most:g} {self.unit}"
        if self.ratio_at_least is not None:
            return f">= {self.ratio_at_least:g} x {self.baseline_name}"
        if self.ratio_at_most is not None:
            return f"<= {self.ratio_at_most:g} x {self.baseline_name}"
        return ""

    @property
    def ok(self) -> bool | None:
        if self.at_least is not None:
            return self.value >= self.at_least
        if self.at_most is not None:
            return self.value <= self.at_most
        if self.ratio_at_least is not None and self.ratio is not None:
            return self.ratio >= self.ratio_at_least
        if self.ratio_at_most is not None and self.ratio is not None:
            return self.ratio <= self.ratio_at_most
        return None

    def as_json(self) -> dict[str, object]:
        return asdict(self) | {"ratio": self.ratio, "target": self.target, "ok": self.ok}


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(results: list[Result]) -> str:
    head = ("figure", "name", "value", "baseline", "ratio", "target", "")
    rows = [
        (
            r.label,
            r.name,
            f"{_number(r.value)} {r.unit}",
            "" if r.baseline is None else f"{_number(r.baseline)} ({r.baseline_name})",
            "" if r.ratio is None else f"{r.ratio:.2f}",
            r.target,
            "" if r.ok is None else ("ok" if r.ok else "MISSED"),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write(results: list[Result], path: Path = RESULTS, *, keep_others: bool = False) -> None:
    """``keep_others`` (a run of one part, BENCH_ONLY): the figures of the other parts already in
    ``path`` stay, each figure of this run replacing its namesake in place or added at the end."""
    figures: dict[str, object] = {}
    if keep_others and path.exists():
        figures = {f["name"]: f for f in json.loads(path.read_text())}
    figures.update({r.name: r.as_json() for r in results})
    path.write_text(json.dumps(list(figures.values()), ensure_ascii=False, indent=2))
