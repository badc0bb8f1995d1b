"""Settings of the decoder (:func:`ecgstudio.core.decode.decode`): HMM priors, shortest waves, T-wave search."""

from __future__ import annotations

from dataclasses import dataclass

from ecgstudio.core.delineation import min_width_samples
from ecgstudio.core.t_wave import TEndConfig
from ecgstudio.core.waves import WaveKind


@dataclass(frozen=True)
class DecodeConfig:
    """Tunable settings of :func:`decode`.

    The defaults are physiological priors. On the 10 QTDB validation records
    of the default model, halving or doubling every duration, P-wave priors
    from 0.2 to 0.8 and floors from 1e-6 to 1e-2 changed no error SD by more
    than 0.3 ms and no sensitivity/PPV by more than 0.3 %; dividing by class
    priors hurt (QRS offset SD 12.5 -> 25 ms), so it is off. Against plain
    per-sample argmax the decoder raised PPV of QRS onset from 98.8 to 99.8 %
    and of R peak from 99.0 to 100 % on the same records.

    Attributes
    ----------
    expected_duration_s : tuple[float, ...]
        Expected duration of each class (``SegmentClass`` order) in seconds;
        leaving a class costs ``log(1 / (duration * fs))``.
    p_wave_prior : float
        Prior probability that a P wave (rather than directly a QRS) follows
        the T-P segment.
    blocked_p_prior : float
        Prior probability that a P wave is followed by a T-P segment instead
        of a QRS complex (blocked P wave).
    min_duration_s : tuple[float, float, float]
        Shortest P wave, QRS complex and QRS offset -> T offset segment kept.
    prob_floor : float
        Probabilities are clipped below at this value before taking logs, so
        one confident wrong sample cannot force a path.
    class_prior : tuple[float, ...] | None
        If given, posteriors are divided by these class frequencies (the
        "scaled likelihoods" of hybrid network/HMM decoders).
    t_peak_smooth_s : float
        T peaks are searched on the signal smoothed by a moving average this
        wide (applied twice, :func:`ecgstudio.core.t_wave.smooth`); 0: raw.
    t_peak_start_fraction : float
        The T-peak search (and its chord) starts this share of the way from
        the QRS offset to the T end, past the ST segment.
    t_end : TEndConfig | None
        Place T ends on the signal (:mod:`ecgstudio.core.t_wave`, trapezium
        area); ``None``: the end of the decoded run.
    r_peak : str
        ``"model"``: a QRS complex's R peak is the model's ``QR`` -> ``RS``
        boundary (what the model was trained to mark); ``"signal"``: the
        largest deviation from the QRS chord (:mod:`ecgstudio.core.peaks`,
        all leads' energy on a global track).

    The T settings were chosen on development records only: the T-peak ones
    on the default model's 10 QTDB validation records, the T-end ones on those
    and LUDB records 1-50 (lowest sum of pooled and mean per-record T-end SDs,
    global and best-lead; ``bench/t_wave_experiment.py``). Measured after the
    choice (``bench/t_wave_ab.py``), T end / T peak error SD in ms, off -> on:
    QTDB test records, global track 40.8 -> 37.6 / 22.9 -> 21.9, best lead
    36.6 -> 34.3 / 19.0 -> 15.5 (T-end Se 99.6 -> 98.1 %); LUDB 51-100 (lead
    II reference), global 23.1 -> 23.3 / 24.2 -> 23.3, best lead 17.2 -> 16.5
    / 14.6 -> 12.9. ``models/README.md`` has the full tables.
    """

    expected_duration_s: tuple[float, ...] = (0.10, 0.06, 0.04, 0.04, 0.30, 0.35)
    p_wave_prior: float = 0.5
    blocked_p_prior: float = 0.001
    min_duration_s: tuple[float, float, float] = (0.024, 0.024, 0.040)
    prob_floor: float = 1e-4
    class_prior: tuple[float, ...] | None = None
    t_peak_smooth_s: float = 0.06
    t_peak_start_fraction: float = 0.2
    t_end: TEndConfig | None = TEndConfig()
    r_peak: str = "model"

    def __post_init__(self) -> None:
        if self.r_peak not in ("model", "signal"):
            raise ValueError(f"r_peak must be 'model' or 'signal', got {self.r_peak!r}")

    def min_samples(self, kind: WaveKind, fs: float) -> int:
        """Shortest kept wave of ``kind`` in samples (never below the track's minimum width)."""
        index = {WaveKind.P: 0, WaveKind.QRS: 1, WaveKind.T: 2}[kind]
        return max(min_width_samples(kind, fs), int(round(self.min_duration_s[index] * fs)))


DEFAULT_CONFIG = DecodeConfig()
