"""ModelChooserDialog: lists models with metrics and returns the chosen stem."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QDialog, QDialogButtonBox

from ecgstudio.app.models import list_models
from ecgstudio.gui.model_chooser import ModelChooserDialog
from tests.helpers import write_model_pair


def _pair(folder, name, *, keras=True, **meta):
    return write_model_pair(folder, name, meta, keras=b"not really a model" if keras else False)


@pytest.fixture
def models(tmp_path):
    shipped, user = tmp_path / "models", tmp_path / "user"
    test = {"R peak": {"sensitivity": 0.992, "ppv": 0.995, "mean_error_ms": 1.0, "sd_error_ms": 7.0},
            "P on": {"sensitivity": 0.951, "ppv": 0.93, "mean_error_ms": 3.0, "sd_error_ms": 12.0}}
    _pair(shipped, "default", created="2026-11-01T12:00:00+00:00", metrics={"test": test})
    _pair(user, "default-ft", created="2026-11-24T09:30:00+00:00", parent_model={"name": "default"},
          finetune={"gate": {"accepted": True, "verdict": "better than the base on the held-out records: P on SD "
                                                          "27.2 -> 24.1 ms"}})
    _pair(user, "incomplete", keras=False)
    return list_models([(shipped, "shipped"), (user, "user")])


def test_rows_show_name_source_parent_and_metrics(qtbot, models):
    dialog = ModelChooserDialog(None, None, models)
    qtbot.addWidget(dialog)
    table = dialog._table
    assert table.rowCount() == 3
    texts = [[table.item(r, c).text() for c in range(5)] for r in range(3)]
    assert texts[0][:4] == ["default", "shipped", "2026-11-01 12:00", "—"]
    assert texts[0][4].splitlines() == ["R peak Se 99.2 % PPV 99.5 %", "P on Se 95.1 % SD 12 ms"]
    assert texts[1][3] == "default"
    # a fine-tuned pair says why it exists: its verdict on its own held-out records
    assert "P on SD 27.2 -&gt; 24.1 ms" in table.item(1, 4).toolTip() and "Fine-tuned from default" in \
        table.item(1, 4).toolTip()
    assert "Fine-tuned" not in table.item(0, 4).toolTip()
    # the incomplete pair is listed but cannot be chosen
    assert not (table.item(2, 0).flags() & Qt.ItemIsSelectable)


def test_current_model_is_preselected_and_accept_returns_stem(qtbot, models):
    current = models[1].stem
    dialog = ModelChooserDialog(None, current, models)
    qtbot.addWidget(dialog)
    assert "(in use)" in dialog._table.item(1, 0).text()
    dialog._buttons.button(QDialogButtonBox.Ok).click()
    assert dialog.result() == QDialog.Accepted
    assert dialog.chosen_stem() == current


def test_double_click_chooses_a_row(qtbot, models):
    dialog = ModelChooserDialog(None, None, models)
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog._table
    rect = table.visualItemRect(table.item(1, 0))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert dialog.chosen_stem() == models[1].stem


def test_cancel_chooses_nothing(qtbot, models):
    dialog = ModelChooserDialog(None, None, models)
    qtbot.addWidget(dialog)
    dialog._buttons.button(QDialogButtonBox.Cancel).click()
    assert dialog.result() == QDialog.Rejected
    assert dialog.chosen_stem() is None


def test_no_models(qtbot):
    dialog = ModelChooserDialog(None, None, [])
    qtbot.addWidget(dialog)
    assert not dialog._buttons.button(QDialogButtonBox.Ok).isEnabled()
