"""A/B of the signal-based T-wave placement: ``evaluate`` with and without it.

Runs :func:`ecgstudio.app.evaluate.evaluate_model` twice on the same records,
once with the decoder's default settings and once with the T-wave settings off
(``t_peak_smooth_s=0, t_peak_start_fraction=0, t_end=None``: the decoded run's
end and the chord peak over the whole ST-T segment, as before 2026-12-03), and
prints the T rows of both protocols.

Usage::

    python bench/t_wave_ab.py --data ../shared/data/qtdb                     # the model's test records
    python bench/t_wave_ab.py --data ../shared/data/ludb --ref-ext ii --records $(seq 1 100)
"""

from __future__ import annotations

import argparse

from ecgstudio.app.evaluate import evaluate_model
from ecgstudio.core import decode as decode_module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--ref-ext", default="q1c")
    parser.add_argument("--records", nargs="+", default=None)
    args = parser.parse_args()
    peers = ("pu0", "pu1") if args.ref_ext == "q1c" else ()
    defaults = decode_module.decode.__kwdefaults__
    on = defaults["config"]
    off = decode_module.DecodeConfig(t_peak_smooth_s=0.0, t_peak_start_fraction=0.0, t_end=None)
    for label, config in (("T placement off", off), ("T placement on (default)", on)):
        defaults["config"] = config
        try:
            result = evaluate_model(None, args.data, args.records, args.ref_ext, peers, log=None)
        finally:
            defaults["config"] = on
        print(f"== {label}")
        for column in ("model", "model best lead"):
            for fiducial in ("T peak", "T off"):
                item = result["columns"][column][fiducial]
                rec = result["mean_record_sd_ms"][column][fiducial]
                print(f"{column:16} {fiducial:7} Se {100 * item['sensitivity']:5.1f}  SD {item['sd_error_ms']:5.1f}"
                      f"  mean {item['mean_error_ms']:5.1f}  per-record SD {rec:5.1f}")
            qt = result["qt"][column]
            print(f"{column:16} QT      SD {qt['sd_error_ms']:5.1f}  within 10/20 ms "
                  f"{100 * qt['within_10_ms']:.0f}/{100 * qt['within_20_ms']:.0f} %")


if __name__ == "__main__":
    main()
