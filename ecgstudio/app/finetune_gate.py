"""The acceptance gate of fine-tuning: is the new model better than its base on the held-out reviewed waves?

Compares, per boundary of :data:`GATE_FIDUCIALS`, the held-out scores of the
base and the fine-tuned model (:func:`gate`). Re-exported by
:mod:`ecgstudio.app.finetune`.
"""

from __future__ import annotations

from typing import Any

#: Boundaries the acceptance gate compares.
GATE_FIDUCIALS = ("P on", "P off", "QRS on", "QRS off", "T off")

#: Gate tolerances: a sensitivity drop of more than this many points, or an error SD rise of more than this
#: many ms, on a held-out boundary counts as worse.
GATE_SE_POINTS = 0.5
GATE_SD_MS = 0.5


def gate(before: dict[str, Any], after: dict[str, Any]) -> tuple[bool, str, list[str], list[str]]:
    """Is the fine-tuned model better than the base on the held-out reviewed waves?

    Per boundary of :data:`GATE_FIDUCIALS` (with held-out reference waves):
    *worse* when its sensitivity fell by more than :data:`GATE_SE_POINTS`
    points or its error SD rose by more than :data:`GATE_SD_MS` ms; *better*
    when its sensitivity rose or its SD fell by more than those margins.
    Accepted: at least one boundary better and none worse.

    Returns
    -------
    accepted : bool
    verdict : str
        One plain line.
    better, worse : list[str]
        The boundaries concerned, e.g. ``"T off SD 24.1 -> 21.0 ms"``.
    """
    b_waves, a_waves = before.get("waves") or {}, after.get("waves") or {}
    better: list[str] = []
    worse: list[str] = []
    for fid in GATE_FIDUCIALS:
        b, a = b_waves.get(fid) or {}, a_waves.get(fid) or {}
        if not b.get("n_reference"):
            continue
        se_b, se_a = 100 * (b.get("sensitivity") or 0.0), 100 * (a.get("sensitivity") or 0.0)
        if se_a < se_b - GATE_SE_POINTS:
            worse.append(f"{fid} Se {se_b:.1f} -> {se_a:.1f} %")
        elif se_a > se_b + GATE_SE_POINTS:
            better.append(f"{fid} Se {se_b:.1f} -> {se_a:.1f} %")
        sd_b, sd_a = b.get("sd_error_ms"), a.get("sd_error_ms")
        if sd_b is not None and sd_a is not None:
            if sd_a > sd_b + GATE_SD_MS:
                worse.append(f"{fid} SD {sd_b:.1f} -> {sd_a:.1f} ms")
            elif sd_a < sd_b - GATE_SD_MS:
                better.append(f"{fid} SD {sd_b:.1f} -> {sd_a:.1f} ms")
    if not b_waves:
        return False, "NOT BETTER: no held-out reviewed waves to compare base and new model on", better, worse
    if worse:
        return False, "NOT BETTER than the base on the held-out records: worse on " + "; ".join(worse), better, worse
    if not better:
        return False, ("NOT BETTER than the base on the held-out records: no boundary improved by more than "
                       f"{GATE_SE_POINTS:g} point / {GATE_SD_MS:g} ms"), better, worse
    return True, "better than the base on the held-out records: " + "; ".join(better), better, worse

