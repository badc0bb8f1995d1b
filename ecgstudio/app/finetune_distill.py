"""Distillation toward the base model: its own labels on leads nobody annotated.

Fine-tuning on one reviewed lead of a 12-lead record would otherwise change
what the model does on the other leads (and in the fused global track)
unchecked; :func:`with_distillation` adds some of those leads, labelled by the
base model where it is sure. Re-exported by :mod:`ecgstudio.app.finetune_data`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ecgstudio.app.dataset import LabelledLead
from ecgstudio.io.records import read_record

if TYPE_CHECKING:
    from ecgstudio.app.finetune_data import RecordMaterial

#: Base-model probability below which a distillation sample gets no weight.
DISTILL_MIN_CONFIDENCE = 0.6


def with_distillation(materials: list[RecordMaterial], model: object, metadata: dict, *, weight: float,
                      leads_per_record: int, seed: int = 0) -> list[RecordMaterial]:
    """Add the base model's own labels on leads nobody annotated (distillation toward the base).

    For every record, up to ``leads_per_record`` of its leads without labels
    (e.g. the 11 other leads of a 12-lead record whose lead II was reviewed)
    are labelled with the base model's most probable class, with weight
    ``weight`` where the base is at least :data:`DISTILL_MIN_CONFIDENCE` sure,
    inside the record's reviewed extent (first to last labelled sample).
    This keeps what the base does on those leads (and in the fused global
    track) while the reviewed lead teaches the corrections.

    Returns
    -------
    list[RecordMaterial]
        The materials with the extra leads appended (unchanged when
        ``weight <= 0`` or ``leads_per_record <= 0``).
    """
    from ecgstudio.ml.infer import lead_proba_model_grid, window_config
    from ecgstudio.ml.preprocess import prepare_lead

    if weight <= 0 or leads_per_record <= 0:
        return materials
    window, hop, ramp = window_config(metadata)
    rng = np.random.default_rng(seed)
    out = []
    for material in materials:
        if not material.leads:
            out.append(material)
            continue
        labelled = np.zeros(material.leads[0].weights.size, dtype=bool)
        for lead in material.leads:
            labelled[: lead.weights.size] |= lead.weights[: labelled.size] > 0
        where = np.flatnonzero(labelled)
        if where.size == 0:
            out.append(material)
            continue
        rec = read_record(material.path)
        own = {lead.lead for lead in material.leads}
        free = [k for k in range(rec.n_leads) if k not in own]
        chosen = sorted(rng.choice(free, min(leads_per_record, len(free)), replace=False).tolist()) if free else []
        extra = []
        for k in chosen:
            x = prepare_lead(rec.signal[:, k], rec.fs)
            probs = lead_proba_model_grid(model, x, window=window, hop=hop, ramp=ramp)
            w = np.zeros(x.size, dtype=np.float32)
            lo, hi = int(where[0]), min(x.size, int(where[-1]) + 1)
            w[lo:hi] = weight
            w *= probs.max(axis=1) >= DISTILL_MIN_CONFIDENCE
            extra.append(LabelledLead(record=material.name, lead=k, signal=x,
                                      classes=probs.argmax(axis=1).astype(np.int8), weights=w))
        out.append(replace(material, leads=material.leads + tuple(extra)))
    return out
