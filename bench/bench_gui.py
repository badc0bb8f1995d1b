"""Benchmark of the editor window: first paint, panning/zooming, dragging, memory.

Usage::

    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--hours 24] [--no-long] [--json OUT]

Each scenario runs in a fresh child process (so first paint includes the
window's own start-up and max RSS is per scenario):

1. ``sample``: the bundled 15-min 2-lead sel100 with its reference tracks -
   time from process start (imports included) to the window shown, to the
   signal painted (``first_paint_s``: the plot's first paint event after the
   record was read) and to the annotation tracks painted; then the model
   loaded in the background as the editor does once a record is shown
   (``model_preload_s``, TensorFlow import included, and the longest GUI stall
   meanwhile), then Annotate -> Pre-annotate with the shipped model
   (``preannotate_s``: what the user waits for after the preload) and the
   longest GUI stall meanwhile;
2. ``long``: a ``--hours``-long 2-lead record made by tiling sel100's digital
   samples into a temporary format-16 record, with an editable ``ecgs`` track
   made by tiling sel100's ``pu0`` waves (about 325,000 waves = 108,000 beats
   for 24 h): first paint as above; then frame times while panning by half a
   screen at 10 s / 1 min / 10 min windows and while zooming in and out across
   the whole record; drag latency of a boundary handle (press, 5 moves,
   release with real mouse events; time until the edit is applied and the
   window repainted); autosave and Save of the 325,000-wave track (total
   time, and the longest stall of the GUI thread meanwhile); replacing the
   whole track as Pre-annotate does, and undoing it; max RSS.

Targets: first paint <= 1.5 s (sample), <= 3 s (24 h); >= 30 fps panning;
peak memory <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TARGETS = {"sample_first_paint_s": 1.5, "long_first_paint_s": 3.0, "pan_fps": 30.0, "peak_rss_mb": 1500.0}


# ---------------------------------------------------------------------- synthesis
def make_long_record(folder: Path, hours: float) -> Path:
    """Tile sel100 into a ``hours``-long 2-lead format-16 record with a tiled ``ecgs`` track."""
    import wfdb

    from ecgstudio.core.delineation import Delineation
    from ecgstudio.io.annotations import read_tracks, write_tracks
    from ecgstudio.paths import sample_record_path

    sample = sample_record_path()
    rec = wfdb.rdrecord(str(sample), physical=False)
    digital = np.asarray(rec.d_signal, dtype=np.int16)
    n_in = digital.shape[0]
    n_out = int(hours * 3600 * rec.fs)
    reps = -(-n_out // n_in)
    name = f"long{int(hours)}h"
    dat = folder / f"{name}.dat"
    with open(dat, "wb") as fh:
        for i in range(reps):
            chunk = digital[: min(n_in, n_out - i * n_in)]
            fh.write(np.ascontiguousarray(chunk).astype("<i2").tobytes())
    lines = [f"{name} {digital.shape[1]} {rec.fs:g} {n_out}"]
    for lead in range(digital.shape[1]):
        lines.append(f"{name}.dat 16 {rec.adc_gain[lead]:g}({rec.baseline[lead]}) {rec.adc_res[lead]} "
                     f"{rec.adc_zero[lead]} 0 0 {rec.sig_name[lead]}")
    (folder / f"{name}.hea").write_text("\n".join(lines) + "\n")
    (pu0,) = read_tracks(sample, "pu0", n_samples=n_in, fs=rec.fs)
    waves = []
    for i in range(reps):
        shift = i * n_in
        for w in pu0.waves:
            moved = w.shifted(shift)
            if moved.offset < n_out - 1:
                waves.append(_plain(moved))  # plain Wave (drop the file's extras)
    track, _ = Delineation.from_waves_lenient(waves, n_samples=n_out, fs=rec.fs, name="ecgs")
    write_tracks(folder / name, "ecgs", [track])
    return folder / name


def _plain(wave):
    from ecgstudio.core.waves import Wave

    return Wave(wave.kind, wave.onset, wave.peak, wave.offset, None, wave.symbol)


# ---------------------------------------------------------------------- child scenarios
def _paint_probe(window):
    """Count paint events of the first plot's viewport."""
    from PyQt5.QtCore import QEvent, QObject

    class Probe(QObject):
        painted = 0

        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Paint:
                Probe.painted += 1
            return False

    probe = Probe(window)
    return probe


def _process_until(app, predicate, timeout_s: float = 120.0) -> None:
    end = time.perf_counter() + timeout_s
    while not predicate():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("benchmark step timed out")
        time.sleep(0.001)


def run_child(kind: str, record: str) -> dict[str, float]:
    """One scenario in this (fresh) process; returns its figures."""
    t0 = time.perf_counter()
    from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
    from PyQt5.QtGui import QMouseEvent
    from PyQt5.QtWidgets import QApplication

    from ecgstudio.gui.app import make_application
    from ecgstudio.gui.main_window import MainWindow
    from ecgstudio.paths import model_files

    app = make_application()
    window = MainWindow()
    window.resize(1600, 900)
    window.show()
    window.repaint()
    app.processEvents()
    shown_s = time.perf_counter() - t0
    shown_at: list[float] = []
    opened: list[object] = []
    # MainWindow repaints the window synchronously before it emits sigRecordShown
    window.sigRecordShown.connect(lambda _record: shown_at.append(time.perf_counter()))
    window.sigDocumentChanged.connect(opened.append)
    probe = _paint_probe(window)
    window.open_record(record)
    _process_until(app, lambda: bool(shown_at))
    signal_paint_s = shown_at[0] - t0
    view = window.view
    viewport = view.rows[0].widget.viewport()
    viewport.installEventFilter(probe)
    with _StallProbe() as loading:
        _process_until(app, lambda: bool(opened))
    before = probe.painted
    window.repaint()
    _process_until(app, lambda: probe.painted > before, 10)
    document_paint_s = time.perf_counter() - t0
    doc = window.document
    out: dict[str, float] = {
        "import_and_window_shown_s": shown_s,
        "first_paint_s": signal_paint_s,
        "tracks_painted_s": document_paint_s,
        "gui_stall_ms_max_while_tracks_load": loading.max_ms,
        "n_samples": float(doc.n_samples),
        "n_waves": float(sum(len(t) for t in doc.tracks)),
    }
    if kind == "sample" and model_files(window.model_stem).keras.is_file():
        workflow = getattr(window, "workflow", None)
        if workflow is not None:
            # the editor (run_gui) loads the model in a worker thread once the record is shown
            start = time.perf_counter()
            with _StallProbe() as preloading:
                workflow.preload_enabled = True
                workflow.start_model_preload()
                _process_until(app, lambda: workflow.preloader.state() not in ("", "loading"), 300)
            out["model_preload_s"] = time.perf_counter() - start
            out["gui_stall_ms_max_while_preloading"] = preloading.max_ms
        # Annotate -> Pre-annotate with the shipped model (after the preload above when there is one;
        # else TensorFlow import + load + inference in the worker), then the one-step replacement of the
        # editable track
        start = time.perf_counter()
        with _StallProbe() as annotating:
            window.annotating.preannotate()
            _process_until(app, lambda: len(window.document.editable_track) > 0, 300)
        out["preannotate_s"] = time.perf_counter() - start
        out["gui_stall_ms_max_while_preannotating"] = annotating.max_ms
        out["preannotate_waves"] = float(len(window.document.editable_track))
    if kind == "long":
        fs = doc.fs

        def frame(action) -> float:
            """Time from the user's step to the plot repainted (paint events processed)."""
            start = time.perf_counter()
            before = probe.painted
            action()
            _process_until(app, lambda: probe.painted > before, 10)
            return time.perf_counter() - start

        for label, seconds in (("10s", 10.0), ("1min", 60.0), ("10min", 600.0)):
            view.set_view_range(3600 * fs, 3600 * fs + seconds * fs)
            app.processEvents()
            times = [frame(lambda: view.pan_by(0.5)) for _ in range(40)]
            out[f"pan_{label}_frame_ms_median"] = 1000 * float(np.median(times))
            out[f"pan_{label}_frame_ms_p95"] = 1000 * float(np.percentile(times, 95))
        view.set_view_range(3600 * fs, 3610 * fs)
        zoom = [frame(lambda: view.zoom_by(2.0)) for _ in range(14)] + \
               [frame(lambda: view.zoom_by(0.5)) for _ in range(14)]
        out["zoom_frame_ms_median"] = 1000 * float(np.median(zoom))
        out["zoom_frame_ms_max"] = 1000 * float(np.max(zoom))

        # drag a QRS offset by real mouse events
        track = doc.editable_track
        centre = int(7200 * fs)
        qrs = next(w for w in track.waves_between(centre, centre + int(5 * fs)) if w.kind.value == "QRS")
        view.set_view_range(qrs.offset - 1 * fs, qrs.offset + 1 * fs)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.005)
        row = view.rows[0]
        (_, _), (y0, y1) = row.vb.viewRange()

        def px(sample: float) -> QPoint:
            return row.widget.mapFromScene(row.vb.mapViewToScene(QPointF(sample, (y0 + y1) / 2)))

        def send(kind_, pos, button, buttons) -> float:
            start = time.perf_counter()
            QApplication.sendEvent(viewport, QMouseEvent(kind_, QPointF(pos), button, buttons, Qt.NoModifier))
            window.repaint()
            return time.perf_counter() - start

        a, b = px(qrs.offset), px(qrs.offset + 12)
        send(QEvent.MouseMove, a, Qt.NoButton, Qt.NoButton)
        send(QEvent.MouseButtonPress, a, Qt.LeftButton, Qt.LeftButton)
        moves = []
        for i in range(1, 6):
            time.sleep(0.012)  # a hand moves at <= 100 Hz (pyqtgraph's mouseRateLimit drops faster moves)
            moves.append(send(QEvent.MouseMove, a + (b - a) * (i / 5), Qt.NoButton, Qt.LeftButton))
        time.sleep(0.012)
        release = send(QEvent.MouseButtonRelease, b, Qt.LeftButton, Qt.NoButton)
        out["drag_move_ms_max"] = 1000 * max(moves)
        out["drag_release_to_repaint_ms"] = 1000 * release
        out["drag_applied"] = float(window.undo_stack.count() == 1)
        out["autosave_gui_thread_ms"] = 1000 * _timed(window.autosave_now)
        out["autosave_background_write_ms"] = 1000 * _timed(lambda: window.autosave_now(wait=True))
        out["save_s"], out["save_gui_stall_ms_max"] = _save_with_stall_probe(window)

        # what Pre-annotate does with a 24-hour prediction: one undoable whole-track replacement
        predicted = doc.editable_track.copy("model")
        session = window.session
        out["replace_whole_track_ms"] = 1000 * _timed(lambda: window.push_step(
            lambda: session.apply_prediction([predicted], model="bench", replace_reviewed=True), "bench"))
        out["undo_whole_track_ms"] = 1000 * _timed(window.undo_stack.undo)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from ecgstudio.gui import dialogs

    dialogs.ask_save_changes = lambda *args: dialogs.DISCARD  # the edits above are not the user's
    window.close()
    return out


class _StallProbe:
    """Longest time the GUI thread went without running a 10-ms timer (``max_ms``) inside a ``with``."""

    def __enter__(self) -> _StallProbe:
        from PyQt5.QtCore import QTimer

        self._last = time.perf_counter()
        self._gaps: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        return self

    def _tick(self) -> None:
        now = time.perf_counter()
        self._gaps.append(now - self._last)
        self._last = now

    def __exit__(self, *exc: object) -> None:
        self._timer.stop()
        self.max_ms = 1000 * max(self._gaps + [time.perf_counter() - self._last])


def _save_with_stall_probe(window) -> tuple[float, float]:
    """Seconds to save, and the longest the GUI thread went without running its event loop (ms)."""
    start = time.perf_counter()
    with _StallProbe() as probe:
        ok = window.save()
    if not ok:
        raise RuntimeError("save failed in the benchmark")
    return time.perf_counter() - start, probe.max_ms


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _spawn(kind: str, record: str, home: Path) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               ECGSTUDIO_HOME=str(home), ECGSTUDIO_SETTINGS=str(home / "settings.ini"))
    result = subprocess.run([sys.executable, __file__, "--child", kind, record], env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{kind} scenario failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=24.0, help="length of the synthetic long record")
    parser.add_argument("--no-long", action="store_true", help="only the bundled sample")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return 0
    from ecgstudio.paths import sample_record_path

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ecgs_bench_") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        results["sample"] = _spawn("sample", str(sample_record_path()), home)
        if not args.no_long:
            start = time.perf_counter()
            record = make_long_record(Path(tmp), args.hours)
            results["long_synthesis_s"] = {"s": time.perf_counter() - start}
            results["long"] = _spawn("long", str(record), home)
    for name, figures in results.items():
        print(f"[{name}]")
        for key, value in figures.items():
            print(f"  {key:32s} {value:12.3f}")
    checks = {"sample_first_paint_s": results["sample"]["first_paint_s"],
              "peak_rss_mb": max(r.get("peak_rss_mb", 0.0) for r in results.values())}
    if "long" in results:
        long = results["long"]
        checks["long_first_paint_s"] = long["first_paint_s"]
        # typical frame rate of the slowest window size (median frame); p95 frames are printed above
        checks["pan_fps"] = 1000.0 / max(long["pan_10s_frame_ms_median"], long["pan_1min_frame_ms_median"],
                                         long["pan_10min_frame_ms_median"])
    print("[targets]")
    for key, value in checks.items():
        target = TARGETS[key]
        ok = value >= target if key == "pan_fps" else value <= target
        print(f"  {key:32s} {value:12.3f}  target {target:g}  {'OK' if ok else 'MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "checks": checks}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
