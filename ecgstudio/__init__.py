"""ECG Studio: a desktop editor for ECG waveform delineation (P, QRS, T).

``import ecgstudio`` is instant: it imports neither TensorFlow nor Qt.
"""

from __future__ import annotations

__version__ = "0.1.0"
