"""Batched annotation of short records (issue 12): same files as the per-record path, worker settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ecgstudio.app.annotate import annotate_one
from ecgstudio.app.batch_annotate import annotate_many, auto_jobs
from ecgstudio.core.decode import viterbi_path
from ecgstudio.core.decode_batch import viterbi_paths
from ecgstudio.ml.infer import predict_proba
from ecgstudio.ml.infer_batch import predict_proba_many

DATA = Path(__file__).resolve().parents[1] / "data"


def _probs(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.random((n, 6)).astype(np.float32) ** 4
    return p / p.sum(axis=1, keepdims=True)


def test_viterbi_paths_equal_one_by_one() -> None:
    fs = 250.0
    probs = [_probs(n, i) for i, n in enumerate((300, 2500, 2500, 900, 7000))]  # short and chunked
    for got, p in zip(viterbi_paths(probs, fs), probs, strict=True):
        assert np.array_equal(got, viterbi_path(p, fs))


def test_predict_proba_many_equals_predict_proba(tiny_model: Path) -> None:
    from ecgstudio.app.preannotate import load_model

    model, metadata = load_model(tiny_model)
    rng = np.random.default_rng(0)
    signals = [rng.standard_normal((5000, k)).astype(np.float32) for k in (12, 1, 3)]
    many = predict_proba_many(model, metadata, signals, 500.0, batch_samples=20_000)  # batches span records
    for got, signal in zip(many, signals, strict=True):
        assert np.array_equal(got, predict_proba(model, metadata, signal, 500.0))


def test_auto_jobs_fit_the_cores() -> None:
    assert auto_jobs(100, cores=2) == (1, 2)  # a second worker's start-up would cost more than it saves
    assert auto_jobs(1000, cores=2) == (2, 1)
    assert auto_jobs(10_000, cores=16) == (16, 1)
    assert auto_jobs(600, cores=16) == (2, 8)


@pytest.mark.slow
def test_batched_files_are_identical_to_the_per_record_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real model, 12-lead LUDB records and a 2-lead record: byte-identical annotation files."""
    import ecgstudio.app.batch_annotate as batch
    from ecgstudio.paths import default_model_path, model_files

    batched: list[int] = []
    shared = batch._predict_group

    def counted(items, model):
        batched.append(len(items))
        return shared(items, model)

    monkeypatch.setattr(batch, "_predict_group", counted)

    if not model_files(default_model_path()).keras.is_file():
        pytest.skip("no shipped model in this checkout")
    src = tmp_path / "in"
    src.mkdir()
    for f in (DATA / "ludb").iterdir():
        shutil.copy(f, src / f.name)
    for f in ("sel100x.hea", "sel100x.dat", "synth12.hea", "synth12.dat"):
        shutil.copy(DATA / f, src / f)
    records = sorted(p.with_suffix("") for p in src.glob("*.hea"))
    model = str(default_model_path())
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir()
    many.mkdir()
    alone = [annotate_one(r, one, "ecgs", model, False) for r in records]
    grouped = list(annotate_many(records, many, "ecgs", model, False, group=3, table=True))
    assert [o.record for o in grouped] == [r.name for r in records]
    assert [o.error for o in alone + grouped] == [None] * (2 * len(records))
    assert [o.n_waves for o in grouped] == [o.n_waves for o in alone]
    for r in records:
        assert (one / f"{r.name}.ecgs").read_bytes() == (many / f"{r.name}.ecgs").read_bytes()
    assert all(len(o.tables) == 1 for o in grouped)
    assert sum(batched) == len(records) and max(batched) == 2  # every record went through the shared calls


def test_records_longer_than_a_minute_are_annotated_alone(tmp_path: Path, tiny_model: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A long record fills the model's batches on its own: it never waits for a group to fill."""
    import ecgstudio.app.batch_annotate as batch

    batched: list[list[str]] = []
    shared = batch._predict_group
    monkeypatch.setattr(batch, "_predict_group", lambda items, model: batched.append(
        [item[0].name for item in items]) or shared(items, model))
    for name in ("a", "b"):
        for suffix in (".hea", ".dat"):
            text = (DATA / f"sel100x{suffix}").read_bytes()
            (tmp_path / f"{name}{suffix}").write_bytes(text.replace(b"sel100x", name.encode()) if suffix == ".hea"
                                                       else text)
    records = [tmp_path / "a", tmp_path / "b"]  # 30 s each
    out = tmp_path / "out"
    out.mkdir()
    assert [o.error for o in annotate_many(records, out, "ecgs", str(tiny_model), False)] == [None, None]
    assert batched == [["a", "b"]]  # short: one shared group
    batched.clear()
    monkeypatch.setattr(batch, "GROUP_MAX_S", 20.0)  # now they count as long
    assert [o.error for o in annotate_many(records, out, "ecgs", str(tiny_model), False)] == [None, None]
    assert batched == []


def test_read_ahead_keeps_order_and_holds_records_within_its_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder of long records must not be read into memory dozens at a time."""
    import ecgstudio.app.batch_annotate as batch

    submitted: list[Path] = []

    def fake_read(path: Path, per_lead: bool = False) -> tuple:
        submitted.append(path)
        return (path, None, None, 0.0, None, None)

    sizes = {f"r{k}": (50 if k in (3, 4, 5) else 10) for k in range(10)}
    monkeypatch.setattr(batch, "_read", fake_read)
    monkeypatch.setattr(batch, "_size", lambda path: sizes[path.name])
    paths = [Path(f"/x/r{k}") for k in range(10)]
    seen, waiting = [], []
    for item in batch._read_ahead(paths, ahead=4, per_lead=False, budget=60):
        waiting.append(len(submitted) - len(seen))  # read but not yet handed over, this one included
        seen.append(item[0])
    assert seen == paths
    assert max(waiting) <= 4
    # the 50-byte records are never read ahead together with another 50-byte one
    assert all(w <= 2 for w, p in zip(waiting, paths, strict=True) if sizes[p.name] == 50)
