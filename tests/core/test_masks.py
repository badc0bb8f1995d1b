"""Masks <-> delineation conversions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.masks import from_mask, to_mask
from ecgstudio.core.waves import SegmentClass as C
from ecgstudio.core.waves import Wave, WaveKind

from .strategies import FS, delineations


def _beat(p_on: int) -> list[Wave]:
    return [
        Wave(WaveKind.P, p_on, p_on + 5, p_on + 10),
        Wave(WaveKind.QRS, p_on + 20, p_on + 25, p_on + 30),
        Wave(WaveKind.T, None, p_on + 60, p_on + 80),
    ]


def test_one_beat_classes_follow_the_boundaries() -> None:
    track = Delineation(_beat(10) + _beat(110), n_samples=300, fs=FS)
    classes, labelled = to_mask(track)
    assert (classes[10:20] == C.P).all()
    assert (classes[20:30] == C.PQ).all()
    assert (classes[30:35] == C.QR).all() and (classes[35:40] == C.RS).all()
    assert (classes[40:90] == C.ST).all()
    assert (classes[90:110] == C.TP).all()
    assert not labelled[:10].any() and labelled[10:190].all() and not labelled[190:].any()


def test_unannotated_stretches_are_not_labelled_tp() -> None:
    # two beats 10 s apart: the gap between them is unknown ECG, not TP
    track = Delineation(_beat(10) + _beat(2510), n_samples=3000, fs=FS)
    _, labelled = to_mask(track)
    assert not labelled[90:2510].any()


def test_a_skipped_beat_leaves_its_gap_unlabelled() -> None:
    track = Delineation(_beat(10) + _beat(300), n_samples=500, fs=FS)
    _, labelled = to_mask(track, beat_samples=np.array([35, 200, 325]))
    assert not labelled[90:300].any()
    _, labelled_all = to_mask(track, beat_samples=np.array([35, 325]))
    assert labelled_all[90:300].all()


def test_qrs_without_t_leaves_the_st_unlabelled() -> None:
    waves = [Wave(WaveKind.QRS, 20, 25, 30), Wave(WaveKind.QRS, 220, 225, 230)]
    _, labelled = to_mask(Delineation(waves, n_samples=400, fs=FS))
    assert not labelled[30:220].any()


@settings(max_examples=200, deadline=None)
@given(delineations())
def test_mask_to_delineation_to_mask_is_identity_on_labelled(track: Delineation) -> None:
    classes, labelled = to_mask(track)
    rebuilt = from_mask(classes, labelled, fs=track.fs)
    classes2, labelled2 = to_mask(rebuilt)
    assert np.array_equal(labelled2, labelled)
    assert np.array_equal(classes2[labelled], classes[labelled])


@settings(max_examples=100, deadline=None)
@given(delineations())
def test_from_mask_recovers_onsets_and_offsets(track: Delineation) -> None:
    rebuilt = from_mask(*to_mask(track), fs=track.fs)
    original_pq = [(w.onset, w.offset) for w in track.waves if w.kind is WaveKind.P]
    assert [(w.onset, w.offset) for w in rebuilt.waves if w.kind is WaveKind.P] == original_pq
    assert [w.offset for w in rebuilt.waves if w.kind is WaveKind.T] == [
        w.offset for w in track.waves if w.kind is WaveKind.T
    ]
