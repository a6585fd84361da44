"""Gates: ``--fail-under METRIC=VALUE`` thresholds that fail a run (for CI).

A gate on a lower-is-better metric (latencies, false refusals, errors) is a maximum, on any
other metric a minimum; a metric that could not be measured fails its gate rather than
passing silently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.evaluation.summary import COUNTS, lower_is_better, metric_names


@dataclass(frozen=True, slots=True)
class Gate:
    """One threshold on one metric of the summary."""

    metric: str
    threshold: float

    def check(self, metrics: dict[str, float]) -> str | None:
        """None when passed, else a message naming the metric, value and threshold."""
        value = metrics[self.metric]
        if math.isnan(value):
            return f"{self.metric} could not be measured (no cases for it); gate {self.threshold}"
        if lower_is_better(self.metric):
            if value > self.threshold:
                return f"{self.metric} = {value:.4g} is above the maximum {self.threshold:g}"
        elif value < self.threshold:
            return f"{self.metric} = {value:.4g} is under the threshold {self.threshold:g}"
        return None


def parse_gates(specs: Iterable[str], ks: list[int]) -> list[Gate]:
    """``METRIC=VALUE`` strings → gates; unknown metrics are an error listing the known ones.

    :param specs: the ``--fail-under`` values.
    :param ks: the run's cut-offs, which decide which ``recall@k``/``hit@k`` exist.
    :raises ValueError: on a malformed spec, an unknown metric or a non-number.
    """
    known = metric_names(ks)
    gates = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"--fail-under takes METRIC=VALUE, not {spec!r}")
        if name not in known:
            usable = ", ".join(n for n in known if n not in COUNTS)
            raise ValueError(f"unknown metric {name!r} in --fail-under; known: {usable}")
        try:
            threshold = float(value)
        except ValueError:
            raise ValueError(f"--fail-under {name}: {value!r} is not a number") from None
        gates.append(Gate(name, threshold))
    return gates
