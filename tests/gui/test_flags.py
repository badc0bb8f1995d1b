"""Flags that mean something: ticks only where the reference annotated (as many as core finds), U worst first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PyQt5.QtCore import Qt

from ecgstudio.core.beats import beat_regions, wave_arrays
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.disagreement import find_disagreements
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import read_tracks
from tests.gui.test_leads_view import RR, make_record, make_track, make_waves, new_view, settle


def _ludb_like(view):
    """30 beats edited; the reference annotates beats 2..27 only, with a few fiducials moved."""
    record = make_record(30)
    edited = make_waves(30)
    reference = [w for w in make_waves(30) if 2 * RR <= w.start < 28 * RR]
    qrs = [i for i, w in enumerate(reference) if w.kind is WaveKind.QRS]
    reference[qrs[3]] = replace(reference[qrs[3]], onset=reference[qrs[3]].onset - 4)  # 11 ms > 6.5
    reference[qrs[5]] = replace(reference[qrs[5]], onset=reference[qrs[5]].onset - 2)  # 5.6 ms: within
    t = [i for i, w in enumerate(reference) if w.kind is WaveKind.T][7]
    reference[t] = replace(reference[t], offset=reference[t].offset + 20)  # 56 ms > 30.6
    ref_track, edit_track = make_track(record, reference, "q1c"), make_track(record, edited)
    view.set_record(record)
    view.set_tracks([ref_track, edit_track], 1)
    view.set_view_range(0, record.n_samples - 1)
    settle()
    return ref_track, edit_track


def test_ticks_only_inside_the_reference_beats_and_as_many_as_core_finds(qtbot) -> None:
    view = new_view(qtbot)
    reference, edited = _ludb_like(view)
    core = find_disagreements(edited, reference)
    assert len(core) == 2  # the unannotated first and last beats are not flagged
    for row in view.rows:
        assert row.tracks.tick_positions().tolist() == core.sample.astype(float).tolist()
    assert view.disagreement_count() == len(core)
    regions = beat_regions(wave_arrays(reference), int(reference.fs))
    assert all(regions[:, 0].min() <= s < regions[:, 1].max() for s in core.sample)


def test_d_walks_the_disagreements_in_time_order(qtbot) -> None:
    view = new_view(qtbot)
    reference, edited = _ludb_like(view)
    core = find_disagreements(edited, reference)
    view.set_view_range(0, 3 * RR)
    first = view.goto_disagreement(+1)
    assert first is not None and first.startswith("QRS on 11 ms later than q1c") and first.endswith("(1 of 2)")
    lo, hi = view.window()
    assert abs((lo + hi) / 2 - core.sample[0]) < 1
    assert view.selected_wave().kind is WaveKind.QRS
    second = view.goto_disagreement(+1)
    assert second is not None and second.startswith("T off 56 ms earlier") and second.endswith("(2 of 2)")
    assert view.goto_disagreement(+1) is None
    assert view.goto_disagreement(-1).endswith("(1 of 2)")


def test_u_walks_the_worst_share_least_confident_first_and_marks_exactly_those(qtbot) -> None:
    record = make_record(3000, n_leads=1)
    waves = make_waves(3000, confidence=0.9)
    rng = np.random.default_rng(5)
    conf = rng.uniform(0.3, 0.95, len(waves))
    waves = [replace(w, confidence=float(c)) for w, c in zip(waves, conf, strict=True)]
    track = make_track(record, waves)
    view = new_view(qtbot)
    view.set_record(record)
    view.set_tracks([track], 0)
    view.set_worst_share(0.001)  # 9000 waves: the 9 least confident
    order = np.argsort(conf)[:9]
    walked = []
    while view.goto_uncertain(+1):
        walked.append(track.index_of(view.selected_wave()))
    assert walked == order.tolist()
    assert view.goto_uncertain(-1) and track.index_of(view.selected_wave()) == order[-2]
    view.set_view_range(0, record.n_samples - 1)
    settle()
    marked = view.rows[0].tracks
    starts = np.array([w.start for w in track])
    assert marked.flags.marked(track, lambda: None, starts).sum() == 9  # the cached list, no recompute
    assert 1 <= marked.low_confidence_count() <= 9


def test_manual_waves_are_never_uncertain(qtbot) -> None:
    view = new_view(qtbot)
    record = make_record(30)
    view.set_record(record)
    view.set_tracks([make_track(record, make_waves(30))], 0)
    assert not view.goto_uncertain(+1)
    assert view.rows[0].tracks.low_confidence_count() == 0


def test_window_legend_list_and_keys(qtbot, make_window, open_and_wait, excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    assert window.annotating.copy_reference(["q1c"])
    view = window.view
    names = [(t.name, t.lead) for t in view.tracks]
    view.set_reference_index(names.index(("q1c", None)))
    record = window.document.record
    pu = read_tracks(excerpt, "pu", n_samples=record.n_samples, fs=record.fs, lead_names=record.lead_names)[0]
    predicted = Delineation([replace(w, lead=None, confidence=0.5 + 0.4 * ((i * 37) % 101) / 101)
                             for i, w in enumerate(pu)], n_samples=pu.n_samples, fs=pu.fs, name="model")
    window.annotating.apply_prediction([predicted])
    edited = view.editable_track()
    reference = view.tracks[view.reference_index]
    window.flags.refresh()
    core = find_disagreements(edited, reference)
    assert len(core) > 0
    assert f"{len(core)} disagreements" in window.flags.legend.text()
    assert "q1c" in window.flags.legend.toolTip() and "QRS on 6.5 ms" in window.flags.legend.toolTip()
    found = view.uncertain_waves()
    assert window.flags.model.rowCount() == len(found) == int(np.ceil(0.05 * len(edited)))
    view.setFocus()
    view.set_view_range(0, 250 * 5)
    qtbot.keyClick(view, Qt.Key_D)
    assert "(1 of" in window.status.currentMessage()
    toast = window.flags.toast  # the whole message, readable over the plot
    assert toast.isVisible() and toast.text() == window.status.currentMessage()
    assert toast.fontMetrics().horizontalAdvance(toast.text()) <= toast.contentsRect().width()
    assert view.rect().contains(toast.geometry())
    assert toast.geometry().bottom() < view.ruler.mapTo(view, view.ruler.rect().topLeft()).y()
    qtbot.keyClick(view, Qt.Key_U)
    assert view.selected_wave().start == found.starts[0]
    qtbot.keyClick(view, Qt.Key_U)
    assert view.selected_wave().start == found.starts[1]
    window.flags.table.setFocus()
    index = window.flags.model.index(4, 0)
    window.flags.table.clicked.emit(index)
    assert view.selected_wave().start == found.starts[4] and view.hasFocus()
    window.flags.set_share(0.01)
    assert window.flags.model.rowCount() == int(np.ceil(0.01 * len(edited)))
    assert "(1 %)" in window.flags.legend.text() and "worst 1 %" in window.flags.legend.toolTip()


def test_a_track_read_from_a_file_claims_no_uncertain_count(qtbot, make_window, open_and_wait,
                                                             excerpt: Path) -> None:
    window = make_window()
    open_and_wait(window, excerpt)
    assert window.annotating.copy_reference(["q1c"])  # edited track: the file's waves, no model confidence
    view = window.view
    window.flags.refresh()
    assert len(view.editable_track()) > 0
    assert "uncertain" not in window.flags.legend.text()  # not "0 uncertain (5 %)"
    assert "no model confidence" in window.flags.legend.toolTip()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key_U)
    assert "no model confidence" in window.status.currentMessage()
    edited = view.editable_track()
    scored = Delineation([replace(w, confidence=0.5 + 0.4 * ((i * 37) % 101) / 101) for i, w in enumerate(edited)],
                         n_samples=edited.n_samples, fs=edited.fs, name="model")
    window.annotating.apply_prediction([scored])
    window.flags.refresh()
    assert f"{int(np.ceil(0.05 * len(scored)))} uncertain (5 %)" in window.flags.legend.text()
    assert "no model confidence" not in window.flags.legend.toolTip()


def test_a_global_track_is_compared_once_with_the_consensus_of_per_lead_references(qtbot) -> None:
    """LUDB-style references (one file per lead) against one global track: the leads' multi-lead boundaries."""
    from ecgstudio.core.consensus import consensus_track

    view = new_view(qtbot)
    record = make_record(10)
    edited = make_track(record, make_waves(10))
    lead0 = make_track(record, make_waves(10, lead=0), "i", lead=0)
    shifted = [replace(w, onset=w.onset - 6) if w.kind is WaveKind.QRS else w for w in make_waves(10, lead=1)]
    lead1 = make_track(record, shifted, "ii", lead=1)  # lead II's QRS starts 17 ms earlier
    view.set_record(record)
    view.set_tracks([lead0, lead1, edited], 2)
    view.set_view_range(0, record.n_samples - 1)
    settle()
    consensus = consensus_track([lead0, lead1])
    core = find_disagreements(edited, consensus)
    assert len(core) == 10  # every QRS onset: the earliest lead starts 17 ms before the global onset
    assert view.disagreement_count() == len(core)  # counted once, not once per lead
    for row in view.rows:
        assert row.tracks.tick_positions().tolist() == core.sample.astype(float).tolist()


def test_a_global_track_is_compared_with_a_global_reference_when_there_is_one(qtbot) -> None:
    """QTDB's sample: pu0/pu1 per lead and q1c global: the editable global track is checked against q1c."""
    view = new_view(qtbot)
    record = make_record(10)
    per_lead = [make_track(record, make_waves(10, lead=k), f"pu{k}", lead=k) for k in (0, 1)]
    sparse = make_track(record, [w for w in make_waves(10) if w.start >= 5 * RR], "q1c")
    view.set_record(record)
    view.set_tracks([*per_lead, sparse, make_track(record, make_waves(10))], 3)
    settle()
    assert all(row.tracks.compare_to is sparse for row in view.rows)
