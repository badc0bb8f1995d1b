"""The model's fixed input rate and baseline filter corner (no SciPy import: reading a model's
metadata stays cheap, so ``annotate`` can start loading TensorFlow sooner)."""

from __future__ import annotations

#: Sampling frequency the model works at, in Hz.
MODEL_FS = 250

#: Corner frequency of the baseline-removal high-pass filter, in Hz.
BASELINE_CUTOFF_HZ = 0.5
