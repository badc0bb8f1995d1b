"""File input/output: the only package that imports wfdb (always inside functions).

* :mod:`ecgstudio.io.records` — read WFDB headers and signals into :class:`~ecgstudio.core.record.Record`.
* :mod:`ecgstudio.io.annotations` — read/write delineation annotation files as
  :class:`~ecgstudio.core.delineation.Delineation` tracks; beat annotations.
* :mod:`ecgstudio.io.review` — the review-state JSON sidecar ``<record>.<ext>.review.json``.

Every failure raises an :class:`~ecgstudio.core.errors.EcgStudioError` subclass
with a one-line message naming the file and the problem.
"""
