"""Patient data from WFDB header comments: LUDB, PTB and MIT-BIH styles."""

from __future__ import annotations

from ecgstudio.core.header_notes import HeaderNotes, header_notes


def test_ludb_style_age_sex_and_diagnoses() -> None:
    notes = header_notes(("<age>: 51", "<sex>: F", "<diagnoses>:", "Rhythm: Sinus bradycardia.",
                          "Electric axis of the heart: left axis deviation.", "Left ventricular hypertrophy."))
    assert notes == HeaderNotes("51", "female", ("Rhythm: Sinus bradycardia.",
                                                 "Electric axis of the heart: left axis deviation.",
                                                 "Left ventricular hypertrophy."), ())


def test_ptb_style_keys_and_a_diagnosis_with_its_own_value() -> None:
    notes = header_notes(("age: 81", "sex: male", "ECG date: 01/10/1990",
                          "Reason for admission: Myocardial infarction"))
    assert (notes.age, notes.sex) == ("81", "male")
    assert notes.diagnoses == ("Myocardial infarction",)
    assert notes.other == ("ECG date: 01/10/1990",)


def test_mitbih_first_line_and_medications_are_kept() -> None:
    notes = header_notes(("69 M 1085 1629 x1", "Aldomet, Inderal"))
    assert (notes.age, notes.sex) == ("69", "male")
    assert notes.other == ("1085 1629 x1", "Aldomet, Inderal")


def test_no_comments_is_empty_and_unknown_lines_survive() -> None:
    assert header_notes(()).is_empty()
    notes = header_notes(("  ", "Produced by xform"))
    assert not notes.is_empty() and notes.other == ("Produced by xform",)
