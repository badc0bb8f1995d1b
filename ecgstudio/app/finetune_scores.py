"""Held-out scores of fine-tuning: a model's wave-level scores on held-out reviewed waves.

Each stretch of held-out reviewed waves (:meth:`RecordMaterial.reviewed_waves
<ecgstudio.app.finetune_data.RecordMaterial.reviewed_waves>`) is read with
some signal context, predicted and decoded as pre-annotation does, and scored
against the reviewed waves (:func:`held_out_scores`). Re-exported by
:mod:`ecgstudio.app.finetune_data`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ecgstudio.app.preannotate import predict_tracks
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.metrics import pool, score_tracks
from ecgstudio.core.waves import Wave
from ecgstudio.io.records import read_record

if TYPE_CHECKING:
    from ecgstudio.app.finetune_data import RecordMaterial

#: Signal context around held-out reviewed waves given to the model when scoring, in seconds.
SCORE_CONTEXT_S = 3.0

#: Held-out reviewed waves further apart than this are scored as separate stretches, in seconds.
SCORE_GAP_S = 10.0


def _stretches(waves: list[Wave], fs: float) -> list[list[Wave]]:
    """Runs of waves with gaps no longer than :data:`SCORE_GAP_S`."""
    groups: list[list[Wave]] = []
    for wave in waves:
        if groups and wave.start - groups[-1][-1].offset <= SCORE_GAP_S * fs:
            groups[-1].append(wave)
        else:
            groups.append([wave])
    return groups


def _shifted(wave: Wave, delta: int) -> Wave:
    def move(x: int | None) -> int | None:
        return None if x is None else x + delta
    return Wave(wave.kind, move(wave.onset), move(wave.peak), wave.offset + delta, None, wave.symbol)


def held_out_scores(materials: list[RecordMaterial], model: object, metadata: dict) -> dict[str, object]:
    """Wave-level scores of a model on the held-out reviewed waves.

    Each stretch of held-out reviewed waves is read with
    :data:`SCORE_CONTEXT_S` of context, predicted (all leads fused for a
    global track, the track's own lead for a per-lead one) and decoded as pre-annotation does
    (:func:`~ecgstudio.app.preannotate.predict_tracks`), and scored with
    :func:`~ecgstudio.core.metrics.score_tracks` against the
    reviewed waves; the scores are pooled.

    Returns
    -------
    dict
        ``{"waves": {fiducial label: {"n_reference", "sensitivity", "ppv",
        "mean_error_ms", "sd_error_ms"}}}`` (``None`` where undefined), or
        ``{}`` when there is nothing to score.
    """
    scores = []
    for material in materials:
        context = int(round(SCORE_CONTEXT_S * material.fs))
        for track in material.tracks:
            for group in _stretches(material.reviewed_waves(track), material.fs):
                a = max(0, group[0].start - context)
                b = min(material.n_samples, group[-1].offset + context + 1)
                stretch = read_record(material.path, a, b)
                if track.lead is not None:  # the track's own lead, alone (a one-lead global track)
                    k = track.lead
                    stretch = replace(stretch, signal=stretch.signal[:, [k]], lead_names=stretch.lead_names[k:k + 1],
                                      units=stretch.units[k:k + 1])
                test = predict_tracks(model, metadata, stretch)[0]
                reference, _ = Delineation.from_waves_lenient([_shifted(w, -a) for w in group], n_samples=b - a,
                                                              fs=material.fs)
                scores.append(score_tracks(reference, test))
    if not scores:
        return {}
    keep = ("n_reference", "sensitivity", "ppv", "mean_error_ms", "sd_error_ms")
    return {"waves": {label: {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                              for k, v in item.items() if k in keep}
                      for label, item in pool(scores).summary().items()}}

