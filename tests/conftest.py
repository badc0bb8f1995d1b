"""Suite-wide settings: property tests are reproducible on CI; GUI and model tests are marked ``slow``.

``pytest -m "not slow" -n 2`` is the fast subset a developer runs in about a minute; CI runs everything.
A test is slow when it lives in ``tests/gui/`` (Qt), asks for a fixture that builds, loads or drives a model or a
window (:data:`SLOW_FIXTURES`), or sits in a module that calls one of TensorFlow's entry points in
:mod:`ecgstudio.ml` (:data:`MODEL_ENTRY_POINTS`; TensorFlow's first import alone takes seconds). An explicit
``@pytest.mark.slow`` still works for anything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers import alarm

# On CI the examples are derived from the test itself (same examples every run), so a red CI is reproducible.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

_GUI_TESTS = Path(__file__).resolve().parent / "gui"

#: Fixtures that drive Qt or build, load or run a model (``tiny``: the hostile corpus's model pair).
SLOW_FIXTURES = frozenset({"qtbot", "qapp", "tiny_model", "tiny", "base_model", "fake_inference"})

#: ``module:function`` of the functions that import TensorFlow (to build, load, train or run a model).
MODEL_ENTRY_POINTS = (
    "ecgstudio.ml.model:build_model", "ecgstudio.ml.model:load_model_pair", "ecgstudio.ml.train:fit",
    "ecgstudio.ml.train:fit_arrays", "ecgstudio.ml.train:compile_for_training", "ecgstudio.ml.finetune:finetune_model",
    "ecgstudio.ml.infer:predict_proba", "ecgstudio.ml.infer:predict_proba_per_lead", "ecgstudio.ml.infer:run_windows",
)


def _model_functions() -> set[int]:
    import importlib

    found = set()
    for entry in MODEL_ENTRY_POINTS:
        module, name = entry.split(":")
        found.add(id(getattr(importlib.import_module(module), name)))
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark GUI tests and model tests ``slow``."""
    model_functions = _model_functions()
    uses_models: dict[str, bool] = {}
    for item in items:
        module = getattr(item, "module", None)
        name = getattr(module, "__name__", "")
        if name not in uses_models:
            uses_models[name] = module is not None and any(id(v) in model_functions for v in vars(module).values())
        if (Path(str(item.path)).is_relative_to(_GUI_TESTS) or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or uses_models[name]):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail a test instead of letting it hang for more than 20 s (a reader blocked on a FIFO, say)."""
    with alarm(20, "reading must never hang: still running"):
        yield
