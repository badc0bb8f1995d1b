"""FineTuneDialog with fake services: counting, selection, run, metrics, gate, switch, cancel, errors."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from ecgstudio.core.errors import AnnotationError, EcgStudioError
from ecgstudio.gui.finetune_dialog import FineTuneDialog

COUNTS = {"rec_a": 5, "rec_b": 0, "rec_c": 12}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    for name in COUNTS:
        (folder / f"{name}.hea").write_text(f"{name} 1 250 1000\n{name}.dat 16 200 16 0 0 0 0 I\n")
        (folder / f"{name}.dat").write_bytes(b"\x00" * 2000)
    return folder


def fake_count(record_path):
    name = Path(record_path).name
    if name == "rec_bad":
        raise AnnotationError("rec_bad.ecgs: corrupt")
    return COUNTS[name]


class FakeFinetune:
    def __init__(self, *, error=None, until_cancel=False, accepted=True,
                 verdict="better than the base on the held-out records: P on Se 90.0 -> 95.0 %"):
        self.error, self.until_cancel = error, until_cancel
        self.accepted, self.verdict = accepted, verdict
        self.calls = []
        self.thread = None

    def __call__(self, records, base_stem, out_stem, *, ann_ext=None, epochs=10, progress=None, cancel=None):
        self.calls.append((list(records), base_stem, out_stem, ann_ext, epochs))
        self.thread = threading.current_thread()
        if self.error:
            raise self.error
        deadline = time.monotonic() + 10
        for i in range(5):
            progress((i + 1) / 5)
            time.sleep(0.01)
        while self.until_cancel and time.monotonic() < deadline:
            if cancel():
                raise EcgStudioError("fine-tuning cancelled")
            time.sleep(0.005)
        waves_before = {"P on": {"n_reference": 40, "sensitivity": 0.9, "ppv": 0.95, "mean_error_ms": 4.0,
                                 "sd_error_ms": 20.0}}
        waves_after = {"P on": {"n_reference": 40, "sensitivity": 0.95, "ppv": 0.9, "mean_error_ms": 2.0,
                                "sd_error_ms": None}}
        return SimpleNamespace(stem=Path(out_stem),
                               before={"loss": 0.5, "accuracy": 0.8, "samples": 1200, "waves": waves_before},
                               after={"loss": 0.3, "accuracy": 0.9, "samples": 1200, "waves": waves_after},
                               accepted=self.accepted, verdict=self.verdict)


@pytest.fixture
def make_dialog(qtbot, tmp_path):
    def make(fn=None, folder="default"):
        folder = _folder(tmp_path) if folder == "default" else folder
        d = FineTuneDialog(None, folder, "/models/default", finetune_fn=fn or FakeFinetune(),
                           count_fn=fake_count, out_dir=tmp_path / "user_models")
        qtbot.addWidget(d)
        assert d.wait(5000)
        return d
    yield make


def _rows(d):
    t = d._records
    return {t.item(r, 0).text(): (t.item(r, 1).text(), t.item(r, 0).checkState() == 2) for r in range(t.rowCount())}


def test_records_of_the_folder_with_reviewed_beats_are_ticked(make_dialog):
    d = make_dialog()
    assert _rows(d) == {"rec_a": ("5", True), "rec_b": ("0", False), "rec_c": ("12", True)}
    assert [Path(p).name for p in d.selected_records()] == ["rec_a", "rec_c"]
    assert d._selection_label.text() == "2 records selected, 17 reviewed beats"
    assert d._start.isEnabled()


def test_maximum_epochs_default_to_those_of_ecgstudio_finetune(make_dialog, qtbot):
    import inspect

    from ecgstudio.app.finetune import finetune

    library_default = inspect.signature(finetune).parameters["epochs"].default
    fake = FakeFinetune()
    d = make_dialog(fake)
    assert d._epochs.value() == library_default
    with qtbot.waitSignal(d._train_runner.sigFinished, timeout=5000):
        d._start.click()  # epochs left as offered
    assert fake.calls[0][4] == library_default


def test_run_shows_before_after_and_switches_model(make_dialog, qtbot, tmp_path):
    fake = FakeFinetune()
    d = make_dialog(fake)
    d._name.setText("my-model")
    d._epochs.setValue(7)
    with qtbot.waitSignal(d._train_runner.sigFinished, timeout=5000):
        d._start.click()
    records, base, out, ann_ext, epochs = fake.calls[0]
    assert [Path(r).name for r in records] == ["rec_a", "rec_c"]
    assert (base, Path(out), ann_ext, epochs) == ("/models/default", tmp_path / "user_models" / "my-model", None, 7)
    assert fake.thread is not threading.main_thread()
    table = d._metrics
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert rows == [["Loss (nats per sample)", "0.5000", "0.3000"], ["Accuracy (samples)", "80.0 %", "90.0 %"],
                    ["Held-out samples", "1200", "1200"], ["P on Se", "90.0 %", "95.0 %"],
                    ["P on PPV", "95.0 %", "90.0 %"], ["P on error SD (ms)", "20.0", "–"]]
    green, red = table.item(3, 2).foreground().color(), table.item(4, 2).foreground().color()
    assert green.green() > green.red() and red.red() > red.green()  # Se improved, PPV got worse
    assert not d._metrics.isHidden() and not d._use.isHidden()
    with qtbot.waitSignal(d.sigModelCreated, timeout=1000) as blocker:
        d._use.click()
    assert blocker.args == [str(tmp_path / "user_models" / "my-model")]


def test_rejected_model_is_not_offered_and_the_verdict_is_shown(make_dialog, qtbot, tmp_path):
    verdict = "NOT BETTER than the base on the held-out records: worse on P off SD 5.6 -> 6.1 ms"
    d = make_dialog(FakeFinetune(accepted=False, verdict=verdict))
    d._name.setText("rejected")
    created: list[str] = []
    d.sigModelCreated.connect(created.append)
    with qtbot.waitSignal(d._train_runner.sigFinished, timeout=5000):
        d._start.click()
    assert d._use.isHidden() and not d._metrics.isHidden()  # the scores are still shown
    text = d._message.text()
    assert verdict in text and "inspection only" in text and "default" in text  # keep using the base
    assert created == [] and d.result() == 0


def test_cancel_stops_training(make_dialog, qtbot):
    d = make_dialog(FakeFinetune(until_cancel=True))
    d._start.click()
    assert d._close.text() == "Cancel"
    with qtbot.waitSignal(d._train_runner.sigCancelled, timeout=3000):
        d._close.click()
    assert "cancelled" in d._message.text()
    assert d._use.isHidden()
    assert d.result() == 0 and d._close.text() == "Close"  # still open, ready for another try


def test_failure_is_shown_in_the_dialog(make_dialog, qtbot):
    d = make_dialog(FakeFinetune(error=AnnotationError("no reviewed beats in rec_a")))
    with qtbot.waitSignal(d._train_runner.sigFailed, timeout=3000):
        d._start.click()
    assert d._message.text() == "Fine-tuning failed: no reviewed beats in rec_a"
    assert d._start.isEnabled()


def test_existing_model_name_is_refused(make_dialog, tmp_path):
    fake = FakeFinetune()
    d = make_dialog(fake)
    out = tmp_path / "user_models"
    out.mkdir()
    (out / "taken.json").write_text("{}")
    d._name.setText("taken")
    d._start.click()
    assert "already exists" in d._message.text()
    assert fake.calls == []


def test_a_dotted_name_is_checked_against_its_own_files(make_dialog, qtbot, tmp_path):
    # "ft.v2" names ft.v2.keras + ft.v2.json: an existing "ft" model does not block it, an existing "ft.v2" does
    fake = FakeFinetune()
    d = make_dialog(fake)
    out = tmp_path / "user_models"
    out.mkdir()
    (out / "ft.keras").write_bytes(b"another model")
    (out / "ft.json").write_text("{}")
    d._name.setText("ft.v2")
    with qtbot.waitSignal(d._train_runner.sigFinished, timeout=5000):
        d._start.click()
    assert Path(fake.calls[0][2]) == out / "ft.v2"
    (out / "ft.v2.json").write_text("{}")
    d._start.click()
    assert "already exists" in d._message.text() and len(fake.calls) == 1


def test_added_records_are_counted_and_errors_shown(make_dialog, qtbot, tmp_path):
    d = make_dialog(folder=None)
    assert _rows(d) == {}
    assert not d._start.isEnabled()
    d.add_records([tmp_path / "x" / "rec_c.hea", tmp_path / "x" / "rec_bad"])
    assert d.wait(5000)
    rows = _rows(d)
    assert rows["rec_c"] == ("12", True)
    assert rows["rec_bad"] == ("error", False)


@pytest.mark.slow
def test_real_services_with_an_untrained_model(qtbot, tmp_path):
    """Counting and fine-tuning through the real app services (1 epoch, untrained base pair)."""
    pytest.importorskip("ecgstudio.app.finetune")
    from ecgstudio.core.review import ReviewSpans
    from ecgstudio.io.annotations import read_tracks, write_tracks
    from ecgstudio.io.records import read_header
    from ecgstudio.io.review import write_review
    from ecgstudio.ml.model import base_metadata, build_model, save_model_pair
    from ecgstudio.paths import sample_record_path

    folder = tmp_path / "reviewed"
    folder.mkdir()
    src = sample_record_path()
    for suffix in (".hea", ".dat", ".q1c"):
        (folder / f"sel100{suffix}").write_bytes(src.with_suffix(suffix).read_bytes())
    info = read_header(folder / "sel100")
    tracks = read_tracks(folder / "sel100", "q1c", n_samples=info.n_samples, fs=info.fs)
    annotation = write_tracks(folder / "sel100", "ecgs", [t.copy("ecgs") for t in tracks])
    waves = [w for t in tracks for w in t.waves]
    write_review(annotation, ReviewSpans([(min(w.start for w in waves) - 50, max(w.offset for w in waves) + 50)]),
                 fs=info.fs)
    base = tmp_path / "base"
    save_model_pair(build_model(seed=0), base, base_metadata())

    d = FineTuneDialog(None, folder, str(base), out_dir=tmp_path / "user_models")
    qtbot.addWidget(d)
    assert d.wait(60_000)
    (count,) = _rows(d).values()
    assert int(count[0]) > 10 and count[1]
    d._name.setText("tuned.v2")  # a dotted name keeps its dot in the file names
    d._epochs.setValue(1)
    created: list[str] = []
    d.sigModelCreated.connect(created.append)
    d._start.click()
    qtbot.waitUntil(lambda: not d._train_runner.is_running(), timeout=300_000)
    assert d.result_value() is not None, d._message.text()
    assert (tmp_path / "user_models" / "tuned.v2.keras").is_file()
    assert d._metrics.rowCount() >= 2
    result = d.result_value()
    assert d._use.isHidden() is not result.accepted  # offered only when the gate accepted it
    if result.accepted:
        d._use.click()
        assert created == [str(tmp_path / "user_models" / "tuned.v2")]
    else:
        assert result.verdict in d._message.text() and created == []
