"""Do the CNN experiments' curves reach TensorBoard, and does a missing TensorBoard cost nothing?"""

import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from reglab.tensorboard_log import log_to_tensorboard

HISTORY = {"epochs": [0, 1, 2], "train loss": [2.0, 1.0, 0.5], "test accuracy": [0.1, 0.25, 0.5]}


def scalars(folder) -> dict:
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(event.step, round(event.value, 6)) for event in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]}


def test_curves_become_scalars_per_epoch_grouped_by_measure(tmp_path, monkeypatch):
    """Is every curve written at its epochs, as 'loss/train' and 'accuracy/test'?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    folder = log_to_tensorboard(HISTORY, "configurations/baseline", tmp_path)
    assert folder == tmp_path / "configurations" / "baseline"
    assert scalars(folder) == {"loss/train": [(0, 2.0), (1, 1.0), (2, 0.5)],
                               "accuracy/test": [(0, 0.1), (1, 0.25), (2, 0.5)]}


def test_logging_a_run_again_replaces_its_curves(tmp_path, monkeypatch):
    """Does running an experiment cell twice leave one set of curves, the latest?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    log_to_tensorboard(HISTORY, "run", tmp_path)
    folder = log_to_tensorboard({**HISTORY, "train loss": [3.0, 2.0, 1.0]}, "run", tmp_path)
    assert len(list(folder.iterdir())) == 1
    assert scalars(folder)["loss/train"] == [(0, 3.0), (1, 2.0), (2, 1.0)]


def test_without_tensorboard_nothing_is_written(tmp_path, monkeypatch):
    """Does a student without the optional extra run the experiments unchanged, with no folder and no error?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # an import of it now raises ImportError
    assert log_to_tensorboard(HISTORY, "run", tmp_path) is None
    assert not any(tmp_path.iterdir())


def test_grading_writes_no_logs(tmp_path, monkeypatch):
    """Does a notebook executed by nbgrader leave no TensorBoard folders in the grader's directories?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert log_to_tensorboard(HISTORY, "run", tmp_path) is None
    assert not any(tmp_path.iterdir())
