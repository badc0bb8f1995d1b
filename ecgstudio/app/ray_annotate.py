"""``ecgstudio annotate --ray ADDRESS``: records spread over a Ray cluster (``pip install ".[cluster]"``).

Ray actors, one per CPU of the cluster (or ``--jobs N``), each load the model
once with one TensorFlow thread and annotate chunks of records with
:func:`~ecgstudio.app.batch_annotate.annotate_many`: the same code, so the
same files, as the local run. Records and output folder must be reachable
under the same paths on every node (a shared file system). Ray is imported
only here, only when ``--ray`` is given: neither the base install nor the
editor ever imports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ecgstudio.app.annotate import Outcome
from ecgstudio.core.errors import EcgStudioError

#: Records per task sent to an actor.
CHUNK = 32


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise EcgStudioError("--ray needs Ray: pip install \".[cluster]\" (or pip install ray)") from None
    return ray


class _Annotator:
    """One worker of the cluster: the model loaded once, records annotated in groups."""

    def __init__(self, model: str, threads: int) -> None:
        from ecgstudio.app.batch_annotate import set_threads

        set_threads(threads)
        from ecgstudio.app.preannotate import load_model

        self.error: str | None = None
        self.model = model
        try:
            load_model(model)
        except EcgStudioError as exc:
            self.error = str(exc)

    def annotate(self, paths: list[Path], out_dir: Path, ext: str, per_lead: bool, replace_reviewed: bool,
                 table: bool) -> list[Outcome]:
        from ecgstudio.app.batch_annotate import annotate_many

        if self.error is not None:
            return [Outcome(p.name, None, 0, 0.0, self.error) for p in paths]
        return list(annotate_many(paths, out_dir, ext, self.model, per_lead, replace_reviewed=replace_reviewed,
                                  table=table))


def connect(address: str) -> Any:
    """Connect to the cluster at ``address`` (``auto``: a running one, as ``ray.init`` takes it); returns ``ray``.

    An already initialised Ray (e.g. a local instance started by the caller) is used as it is.

    Raises
    ------
    EcgStudioError
        If Ray is not installed or the cluster cannot be reached (one line).
    """
    ray = _import_ray()
    if not ray.is_initialized():
        try:
            ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError ...
            text = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise EcgStudioError(f"--ray {address}: cannot connect to the Ray cluster ({text})") from None
    return ray


def ray_outcomes(paths: Sequence[Path], out_dir: Path, ext: str, model: str, per_lead: bool, *, address: str,
                 replace_reviewed: bool, table: bool, actors: int = 0) -> Iterator[Outcome]:
    """Outcomes of ``paths`` (in completion order) from Ray actors on the cluster at ``address``.

    Parameters
    ----------
    actors : int
        Number of actors; 0: one per CPU of the cluster, at most one per :data:`CHUNK` records.
    """
    ray = connect(address)
    from ray.util import ActorPool

    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    chunks = [list(paths[lo:lo + CHUNK]) for lo in range(0, len(paths), CHUNK)]
    n = max(1, min(actors or cpus, len(chunks)))
    remote = ray.remote(num_cpus=1)(_Annotator)
    pool = ActorPool([remote.remote(model, 1) for _ in range(n)])
    try:
        for outcomes in pool.map_unordered(
                lambda actor, chunk: actor.annotate.remote(chunk, out_dir, ext, per_lead, replace_reviewed, table),
                chunks):
            yield from outcomes
    except ray.exceptions.RayError as exc:
        text = " ".join(str(exc).split())[:200]
        raise EcgStudioError(f"a Ray worker failed ({text})") from None
