"""Fine-tuning through the global track: the loss is taken on the mean of all leads' probabilities (issue 9).

The global track of a multi-lead record decodes the mean of every lead's class probabilities. Fine-tuning with
``--label-leads all`` asks *each* lead to reproduce the lead-II boundaries on its own, which a lead with a flat P
wave cannot do; this experiment instead trains the model so that the **mean over the leads** matches the
reference, the quantity that is decoded and scored. Train on LUDB records (``--train``), score the global track
of the held-out records against lead II and the default's QTDB test records (``bench/finetune_ludb.py``'s
scorer and cache).

Usage::

    python bench/finetune_global.py --train 1-50 --held 51-100 --lr 3e-5 --epochs 4 --freeze 0 --name NAME
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from finetune_ludb import FIDUCIALS, score_model, summarise, table


def _range(text: str) -> list[str]:
    lo, hi = (int(v) for v in text.split("-"))
    return [str(i) for i in range(lo, hi + 1)]


def record_windows(ludb: Path, names: list[str], window: int, hop: int) -> tuple[np.ndarray, ...]:
    """Raw ``(n, leads, window)`` windows of every lead with the lead-II labels ``(n, window)`` and weights."""
    from ecgstudio.app.finetune_data import collect_record
    from ecgstudio.ml.batches import labelled_window_starts

    xs, ys, ws = [], [], []
    for name in names:
        material = collect_record(ludb / name, "ii", label_leads="all")
        if not material.leads:
            continue
        sig = np.stack([lead.signal for lead in material.leads])  # (leads, m)
        cls, wgt = material.leads[0].classes, material.leads[0].weights
        for start in labelled_window_starts(wgt > 0, window, hop, 0.5):
            xs.append(sig[:, start:start + window])
            ys.append(cls[start:start + window])
            ws.append(wgt[start:start + window])
    return np.stack(xs).astype(np.float32), np.stack(ys).astype(np.int32), np.stack(ws).astype(np.float32)


def lead_mean_model(inner, n_leads: int, window: int):
    """``(b, leads, window, 1)`` -> mean over leads of ``inner``'s ``(window, 6)`` probabilities."""
    import keras

    class LeadMean(keras.layers.Layer):
        def __init__(self, model, **kw):
            super().__init__(**kw)
            self.inner = model

        def call(self, x, training=None):
            flat = keras.ops.reshape(x, (-1, window, 1))
            probs = self.inner(flat, training=training)
            return keras.ops.mean(keras.ops.reshape(probs, (-1, n_leads, window, 6)), axis=1)

    inp = keras.Input((n_leads, window, 1))
    return keras.Model(inp, LeadMean(inner)(inp))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ludb", default="../shared/data/ludb")
    ap.add_argument("--qtdb", default="../shared/data/qtdb")
    ap.add_argument("--base", default="models/default")
    ap.add_argument("--train", default="1-50")
    ap.add_argument("--held", default="51-100")
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--freeze", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=8, help="records' windows per batch (x 12 leads)")
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--hop", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--freeze-bn", action="store_true", help="BatchNorm layers keep the base's statistics")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out-dir", default="runs/gft")
    ap.add_argument("--cache", default="/tmp/ft/cache")
    args = ap.parse_args()

    from ecgstudio.ml._tf import import_tensorflow_quietly
    import_tensorflow_quietly()
    import keras

    from ecgstudio.ml.model import LAYER_NAMES, load_model_pair, save_model_pair
    from ecgstudio.ml.preprocess import normalise_windows
    from ecgstudio.ml.train import LOSS_REDUCTION

    keras.utils.set_random_seed(args.seed)
    ludb = Path(args.ludb)
    started = time.perf_counter()
    x, y, w = record_windows(ludb, _range(args.train), args.window, args.hop)
    n, leads, win = x.shape
    xn = normalise_windows(x.reshape(-1, win)).reshape(n, leads, win, 1)
    print(f"{n} windows x {leads} leads from {args.train} ({time.perf_counter() - started:.0f} s)", flush=True)
    inner, meta = load_model_pair(args.base)
    frozen = set(LAYER_NAMES[: args.freeze])
    for layer in inner.layers:
        layer.trainable = layer.name not in frozen
        if args.freeze_bn and isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # inference mode: the moving statistics stay the base's
    wrapper = lead_mean_model(inner, leads, win)
    wrapper.compile(optimizer=keras.optimizers.Adam(learning_rate=args.lr, clipnorm=1.0),
                    loss=keras.losses.SparseCategoricalCrossentropy(reduction=LOSS_REDUCTION))
    rng = np.random.default_rng(args.seed)
    for epoch in range(args.epochs):
        order = rng.permutation(n)
        losses = [float(np.asarray(wrapper.train_on_batch(xn[rows], y[rows], sample_weight=w[rows])).reshape(-1)[0])
                  for rows in np.array_split(order, max(1, n // args.batch_size))]
        print(f"epoch {epoch + 1}: loss {np.mean(losses):.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
    out = Path(args.out_dir) / args.name
    meta = dict(meta)
    meta["finetune_global"] = {k: v for k, v in vars(args).items()}
    save_model_pair(inner, out, meta)
    cache = Path(args.cache)
    held = _range(args.held)
    base_l = summarise(score_model(args.base, ludb, held, "ii", cache))
    new_l = summarise(score_model(out, ludb, held, "ii", cache))
    qtdb_test = list(meta["split"]["test"])
    base_q = summarise(score_model(args.base, args.qtdb, qtdb_test, "q1c", cache))
    new_q = summarise(score_model(out, args.qtdb, qtdb_test, "q1c", cache))
    print(table({f"LUDB {args.held} base": base_l, f"LUDB {args.held} {args.name}": new_l,
                 "QTDB test base": base_q, f"QTDB test {args.name}": new_q}))
    better = [f for f in FIDUCIALS if new_l[f]["sd"] < base_l[f]["sd"] - 0.5 or new_l[f]["se"] > base_l[f]["se"] + 0.5]
    worse = [f for f in FIDUCIALS if new_l[f]["sd"] > base_l[f]["sd"] + 0.5 or new_l[f]["se"] < base_l[f]["se"] - 0.5]
    print(f"better: {better}; worse: {worse}; wall {time.perf_counter() - started:.0f} s")
    (out.parent / f"{args.name}.result.json").write_text(json.dumps({"args": vars(args), "ludb_base": base_l,
        "ludb_new": new_l, "qtdb_base": base_q, "qtdb_new": new_q, "better": better, "worse": worse}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
