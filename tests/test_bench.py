"""Do the benchmark scripts run? (They measure; the tests never assert a time.)"""

import json
import re
import sys

import pytest

from bench import grading, shards
from tests.conftest import require_sandbox


def test_grading_benchmark_runs_on_a_tiny_size(tmp_path):
    """Does bench.grading measure latency (floor, nbgrader) and throughput, and write its table and JSON?"""
    assert grading.main(["--submissions", "2", "--repeats", "1", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "grading.json").read_text())
    assert results["latency_over_floor"] > 0
    assert results["nbgrader_over_latency"] > 0
    assert results["speedup_two_workers"] > 0
    assert results["peak_worker_rss_mib"] > 0
    assert "| solution_latency_s |" in (tmp_path / "grading.md").read_text()


def test_shards_benchmark_runs_on_a_tiny_size(tmp_path):
    """Does bench.shards grade a generated batch unsharded and as 1 and 2 shards, merge each, find the merges equal
    to the unsharded run, and write the throughput ratios?"""
    require_sandbox("grading the batch needs the sandbox")
    assert shards.main(["--submissions", "4", "--counts", "1,2", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "shards.json").read_text())
    assert results["merged_equals_unsharded"] is True
    assert results["submissions"] == 4 and results["shards_2_largest_shard"] <= 4
    for key in ("unsharded_per_min", "shards_1_per_min", "shards_2_per_min", "shards_1_vs_unsharded",
                "shards_2_vs_1", "shards_1_calibration_s", "shards_2_merge_s", "merge_seconds_per_submission"):
        assert results[key] > 0, key
    for key in ("unsharded_others_busy_cores", "shards_1_others_busy_cores", "shards_2_others_busy_cores"):
        assert results[key] is None or results[key] >= 0, key  # None: not Linux; the machine is shared, so no bound
    assert "| merged_equals_unsharded | true |" in (tmp_path / "shards.md").read_text()


def _report(folder, points: float, seconds: float):
    (folder / "regularization").mkdir(parents=True)
    (folder / "regularization" / "report.json").write_text(f'{{"points": {points}, "seconds": {seconds}}}')
    return folder


def test_the_shards_benchmark_stops_where_the_merge_differs(tmp_path):
    """Does bench.shards refuse to report throughput when the merged reports differ from the unsharded run's
    other than in timings, naming the file?"""
    unsharded = _report(tmp_path / "unsharded", 11, 4.2)
    shards.check_merged(unsharded, _report(tmp_path / "same", 11, 5.7), 2)  # timings alone differ: the same
    with pytest.raises(shards.BenchmarkFailed, match=re.escape("different: regularization/report.json")):
        shards.check_merged(unsharded, _report(tmp_path / "other", 10, 4.2), 2)


def test_the_shards_benchmark_stops_with_a_failed_shard_s_output(tmp_path):
    """When a shard exits non-zero (a calibration failed on a loaded machine), does the benchmark stop with the
    end of that shard's output rather than time it?"""
    failing = [sys.executable, "-c", "print('calibration failed: out of time'); raise SystemExit(1)"]
    with pytest.raises(shards.BenchmarkFailed, match=r"(?s)exited 1 .*calibration failed: out of time"):
        shards.run_processes([[sys.executable, "-c", "pass"], failing], [tmp_path / "1.log", tmp_path / "2.log"])


def test_training_benchmark_runs_on_a_tiny_size(tmp_path):
    """Does bench.training time the seed's fit, the kit's fit and fit_together's sweeps, and find the kit's loops
    recording the seed's statistics, equal for one seed?"""
    from bench import training

    assert training.main(["--train", "200", "--validation", "50", "--epochs", "2", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "training.json").read_text())
    for same in (results["same_statistics"], results["together_same_statistics"]):
        assert same["missing"] == []
        assert same["max_relative_difference"] < 1e-4
    for key in ("seed_fit_epoch_s", "kit_fit_epoch_s", "kit_fit_dropout_epoch_s",
                "together_weight_decay_k5_run_epoch_s", "together_dropout_k6_run_epoch_s",
                "together_learning_rate_k4_run_epoch_s", "all_data_assignment_together_min"):
        assert results[key] > 0, key


def test_effects_benchmark_runs_a_notebook_and_measures_every_effect(tmp_path):
    """Does bench.effects execute a solution notebook (tiny, offline), measure each effect its questions ask about
    in the notebook's own kernel, and write the table and JSON, with the data it ran on and the minutes?"""
    from bench import effects

    assert effects.main(["--run", "regularization:tiny", "--data", "synthetic", "--out", str(tmp_path)]) == 0
    (run,) = json.loads((tmp_path / "effects.json").read_text())["runs"]
    assert (run["assignment"], run["profile"], run["data"], run["errors"]) == ("regularization", "tiny",
                                                                               "synthetic", [])
    assert run["minutes"] > 0
    claims = [effect.claim for effect in effects.effects_module("regularization").EFFECTS]
    assert [effect["claim"] for effect in run["effects"]] == claims
    for effect in run["effects"]:  # measured, seen or not: tiny is too short for most effects
        assert isinstance(effect["seen"], bool) and not effect["evidence"].startswith("could not measure"), effect
    table = (tmp_path / "effects.md").read_text()
    assert "| regularization | tiny | synthetic |" in table and "| q3_2_c | mean \\|w\\| falls" in table


def test_every_effect_names_a_written_question_of_its_notebook():
    """Is each effect filed under a grade id of a written answer that exists in its assignment?"""
    from autograder import course, notebooks
    from autograder.notebooks import nbgrader_of
    from bench import effects

    for assignment in course.assignments():
        cells = notebooks.read(course.source_notebook(assignment)).cells
        written = {nbgrader_of(cell).get("grade_id") for cell in cells
                   if cell.cell_type == "markdown" and nbgrader_of(cell).get("solution")}
        module = effects.effects_module(assignment)
        assert module.EFFECTS
        assert {effect.question for effect in module.EFFECTS} <= written, assignment


def test_speed_benchmark_runs_on_a_tiny_size(tmp_path):
    """Does bench.speed time the CNN loops against seeds 002 and 004, the MLP loops against the seed's fit and
    execute a notebook, writing every named ratio and the minutes per assignment and profile with the load, and
    do the kit's loops record the seeds' statistics, equal for one seed?"""
    from autograder import course
    from bench import speed

    assert speed.main(["--size", "tiny", "--runs", "1", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "speed.json").read_text())
    for name in ("cnn_loop_vs_seed", "cnn2_loop_vs_seed", "cnn3_loop_vs_seed", "mlp_together_vs_seed",
                 "mlp_func_vs_seed"):
        assert results[name] > 0, name
    parts = results["parts"]
    for part in ("cnn", "mlp", "notebooks"):
        assert parts[part]["load_1min_before"] >= 0 and parts[part]["load_1min_after"] >= 0, part
    cnn = parts["cnn"]
    assert cnn["cnn"]["check"]["statistics"] == ["test accuracy", "test loss", "train accuracy", "train loss"]
    assert cnn["cnn"]["check"]["largest_difference"] <= 1e-4  # the seed rounds to 4 places; the batches are equal
    for net in ("cnn2", "cnn3"):
        assert cnn[net]["check"]["statistics"] == ["test accuracy", "test loss", "train accuracy"]
        assert cnn[net]["check"]["largest_difference"] < 1e-4, net
    assert all(cnn[net]["flop_bound_s"] > 0 and cnn[net]["epoch_flop"] > 0 for net in ("cnn", "cnn2", "cnn3"))
    assert isinstance(cnn["ideas"]["seed_net_channels_last"], str)  # channels_last breaks the seed's x.view
    for loop in ("together", "func"):
        same = parts["mlp"][f"{loop}_same_statistics"]
        assert same["missing"] == [] and same["max_relative_difference"] < 1e-4, loop
    minutes = results["notebook_minutes"]
    assert set(minutes) == set(course.assignments())
    assert all(set(profiles) == {"tiny", "quick", "full"} for profiles in minutes.values())
    assert minutes["regularization"]["tiny"] > 0 and minutes["cnn_regularization"]["full"] > 0
    executed = parts["notebooks"]["notebook_minutes"]["regularization"]["tiny"]
    assert executed["errors"] == [] and executed["peak_rss_mib"] > 0 and executed["flop"] > 0
    for profile in (*cnn["cnn"]["profile"].values(), *parts["mlp"]["profile"].values()):
        assert 0 < profile["inside_operators_share"] <= 1 and profile["top"][0]["calls"] > 0
    # the seed's CNN epoch is mostly convolution: its heaviest operator is one of them
    assert "conv" in cnn["cnn"]["profile"]["kit"]["top"][0]["operator"] or "mkldnn" in \
        cnn["cnn"]["profile"]["kit"]["top"][0]["operator"]
    markdown = (tmp_path / "speed.md").read_text()
    assert "| cnn_loop_vs_seed |" in markdown and "inside torch's operators" in markdown


def test_speed_benchmark_measures_the_parts_asked_for_and_keeps_the_others(tmp_path, monkeypatch):
    """With --parts, are only those parts measured again and the others kept from the JSON already there?"""
    from bench import speed

    measured = []

    def fake(part, size, runs):
        measured.append(part)
        figures = {"cnn": {net: {"kit_vs_seed": 1.0 + len(measured), "others_busy_cores": 0.0, "ratios": [1.0],
                                 "seed_epoch_s": 1, "kit_epoch_s": 1, "check": {"largest_difference": 0.0}}
                           for net in ("cnn", "cnn2", "cnn3")} | {"ideas": {}},
                   "mlp": {"together_vs_seed": 3.5, "func_vs_seed": 1.5, "seed_run_epoch_s": 1,
                           "together_run_epoch_s": 1, "func_run_epoch_s": 1,
                           "together_same_statistics": {"max_relative_difference": 0.0},
                           "func_same_statistics": {"max_relative_difference": 0.0}},
                   "notebooks": {"matmul_gflops": 1, "threads": 1, "notebook_minutes": {}}}[part]
        return {**figures, "measured_at": "now", "load_1min_before": 0.5, "load_1min_after": 0.5}

    monkeypatch.setattr(speed, "measure_part", fake)
    assert speed.main(["--out", str(tmp_path)]) == 0
    assert speed.main(["--parts", "cnn", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "speed.json").read_text())
    assert measured == ["cnn", "mlp", "notebooks", "cnn"]
    assert results["cnn_loop_vs_seed"] == 5.0 and results["mlp_together_vs_seed"] == 3.5
    with pytest.raises(SystemExit):
        speed.main(["--parts", "gpu", "--out", str(tmp_path)])
