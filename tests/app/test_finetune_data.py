"""Fine-tuning material: only reviewed spans carry weight; any fs, per-lead files train their own lead."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ecgstudio.app.finetune_data import build_windows, collect_record, count_reviewed_beats, split_by_time
from ecgstudio.core.review import ReviewSpans
from ecgstudio.io.annotations import read_tracks
from ecgstudio.io.review import write_review
from ecgstudio.ml.preprocess import MODEL_FS

DATA = Path(__file__).resolve().parents[1] / "data"


def _copy(src: str, dest: Path, exts: tuple[str, ...]) -> Path:
    for ext in exts:
        shutil.copy(DATA / f"{src}.{ext}", dest / f"{src}.{ext}")
    return dest / src


def _weighted_model_samples(record_path: Path, ann_ext: str | None, window: int = 1000) -> np.ndarray:
    """Model-grid sample positions with non-zero weight in the built windows (bool, per lead)."""
    windows = build_windows([collect_record(record_path, ann_ext)], window=window, hop=window // 2)
    covered = [np.zeros(s.size, dtype=bool) for s in windows.signals]
    for seg, start in windows.index:
        covered[seg][start:start + window] |= windows.weights[seg][start:start + window] > 0
    return np.stack(covered)


def test_only_reviewed_spans_of_the_ecgs_file_get_weight(tmp_path: Path) -> None:
    record = _copy("sel100x", tmp_path, ("hea", "dat", "q1c"))
    # ECG Studio's own corrected file: here the q1c waves saved as 'ecgs', two spans reviewed
    shutil.copy(DATA / "sel100x.q1c", tmp_path / "sel100x.ecgs")
    spans = ReviewSpans([(300, 1300), (4000, 5200)])
    write_review(tmp_path / "sel100x.ecgs", spans, fs=250.0)

    weighted = _weighted_model_samples(record, ann_ext="q1c")  # ecgs review state wins over q1c

    assert weighted.shape == (2, 7500)  # both leads of the global track, 250 Hz
    inside = spans.to_mask(7500)
    assert weighted.any(axis=1).all()
    assert not weighted[:, ~inside].any()
    for a, b in spans:  # the reviewed, labelled waves inside each span do carry weight
        assert weighted[:, a:b].mean() > 0.5
    track = read_tracks(record, "ecgs", n_samples=7500, fs=250.0)[0]
    expected = sum(1 for w in track.waves if w.kind.value == "QRS" and spans.covers(w.start, w.offset))
    assert count_reviewed_beats(record) == count_reviewed_beats(record, "q1c") == expected > 0


def test_reference_without_review_state_counts_its_whole_extent(tmp_path: Path) -> None:
    record = _copy("sel100x", tmp_path, ("hea", "dat", "q1c"))
    track = read_tracks(record, "q1c", n_samples=7500, fs=250.0)[0]

    weighted = _weighted_model_samples(record, ann_ext="q1c")

    first, last = track.waves[0].start, track.waves[-1].offset
    assert weighted[:, first:last].mean() > 0.9
    assert not weighted[:, :first].any() and not weighted[:, last + 1:].any()
    assert count_reviewed_beats(record, "q1c") == sum(1 for w in track.waves if w.kind.value == "QRS")


def test_a_reference_sidecar_limits_the_reference_too(tmp_path: Path) -> None:
    record = _copy("sel100x", tmp_path, ("hea", "dat", "q1c"))
    write_review(tmp_path / "sel100x.q1c", ReviewSpans([(0, 2000)]), fs=250.0)

    weighted = _weighted_model_samples(record, ann_ext="q1c")

    assert weighted[:, :2000].any() and not weighted[:, 2000:].any()


def test_per_lead_file_at_500_hz_trains_its_own_lead_resampled(tmp_path: Path) -> None:
    exts = ("hea", "dat", "ii")
    record = _copy("synth12", tmp_path, exts)

    material = collect_record(record, "ii")

    assert [lead.lead for lead in material.leads] == [1]  # lead II only
    lead = material.leads[0]
    assert lead.signal.size == 3000 * MODEL_FS // 500
    assert lead.weights.any()
    assert material.n_beats == count_reviewed_beats(record, "ii") > 0
    assert len(build_windows([material], window=1000, hop=500)) > 0


def test_label_leads_all_makes_a_per_lead_file_label_every_lead_as_a_global_track(tmp_path: Path) -> None:
    import pytest

    from ecgstudio.core.errors import AnnotationError

    record = _copy("synth12", tmp_path, ("hea", "dat", "ii", "v1"))
    own = collect_record(record, "ii")
    every = collect_record(record, "ii", label_leads="all")

    assert [lead.lead for lead in every.leads] == list(range(12))
    for lead in every.leads:  # lead II's boundaries on every lead
        np.testing.assert_array_equal(lead.classes, own.leads[0].classes)
        np.testing.assert_array_equal(lead.weights, own.leads[0].weights)
    assert [t.lead for t in every.tracks] == [None]  # held out and scored as a global track
    assert [w.onset for w in every.tracks[0].waves] == [w.onset for w in own.tracks[0].waves]
    assert every.n_beats == own.n_beats > 0
    with pytest.raises(AnnotationError, match="one annotation file per record"):
        collect_record(record, "leads", label_leads="all")


def test_time_split_separates_weights_at_a_beat_boundary(tmp_path: Path) -> None:
    record = _copy("sel100x", tmp_path, ("hea", "dat", "q1c"))
    material = collect_record(record, "q1c")

    train, val, split = split_by_time(material, 0.25)

    assert train.n_beats + val.n_beats == material.n_beats and val.n_beats == round(0.25 * material.n_beats)
    assert all(not lead.weights[split:].any() for lead in train.leads)
    assert all(not lead.weights[:split].any() and lead.weights.any() for lead in val.leads)
    assert train.beat_samples.max() < split <= val.beat_samples.min()


def test_no_p_rhythm_words_decide_whether_missing_p_waves_are_a_statement() -> None:
    from ecgstudio.app.finetune_data import rhythm_states_no_p

    assert rhythm_states_no_p(["<age>: 76", "Rhythm: Atrial fibrillation."])
    assert rhythm_states_no_p(["Rhythm: Atrial flutter, typical."])
    assert not rhythm_states_no_p(["Rhythm: Sinus rhythm.", "UNIpolar ventricular pacing.",
                                   "history of atrial fibrillation"])
    assert not rhythm_states_no_p([])


def test_all_leads_each_labelled_by_its_own_per_lead_file(tmp_path: Path) -> None:
    from ecgstudio.app.dataset import load_labelled_leads
    from ecgstudio.app.finetune_data import ALL_LEADS_EXT

    leads = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
    record = _copy("synth12", tmp_path, ("hea", "dat", *leads))
    # lead v1's corrections reviewed in one span only (its sidecar); the others count their whole extent
    write_review(tmp_path / "synth12.v1", ReviewSpans([(0, 1500)]), fs=500.0)

    material = collect_record(record, ALL_LEADS_EXT)

    assert material.source is not None and [ext for ext, _ in material.source.files] == list(leads)
    assert [lead.lead for lead in material.leads] == list(range(12))
    assert [t.lead for t in material.tracks] == list(range(12))
    for k, ext in enumerate(leads):  # lead k carries the labels of its own file, nobody else's
        (own,) = load_labelled_leads(record, ext, tp_without_p=False)
        assert own.lead == k
        np.testing.assert_array_equal(material.leads[k].classes, own.classes)
        if ext != "v1":
            np.testing.assert_array_equal(material.leads[k].weights, own.weights)
    v1 = material.leads[6].weights
    assert v1[: 1500 * MODEL_FS // 500].any() and not v1[1500 * MODEL_FS // 500 + 1:].any()
    v1_track = material.tracks[6]
    assert all(w.offset < 1500 for w in material.reviewed_waves(v1_track))
    assert len(material.reviewed_waves(material.tracks[1])) == len(material.tracks[1].waves)
    assert material.source.kind == "review"
    assert count_reviewed_beats(record, ALL_LEADS_EXT) == material.n_beats > 0
    assert len(build_windows([material], window=1000, hop=500)) > len(build_windows(
        [collect_record(record, "ii")], window=1000, hop=500))


def test_all_leads_without_per_lead_files_has_no_source(tmp_path: Path) -> None:
    record = _copy("sel100x", tmp_path, ("hea", "dat", "q1c"))
    assert collect_record(record, "leads").source is None
