"""Do the benchmark scripts run? (They measure; the tests never assert a time.)"""

import json

from bench import grading


def test_grading_benchmark_runs_on_a_tiny_size(tmp_path):
    """Does bench.grading measure latency (floor, nbgrader) and throughput, and write its table and JSON?"""
    assert grading.main(["--submissions", "2", "--repeats", "1", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "grading.json").read_text())
    assert results["latency_over_floor"] > 0
    assert results["nbgrader_over_latency"] > 0
    assert results["speedup_two_workers"] > 0
    assert results["peak_worker_rss_mib"] > 0
    assert "| solution_latency_s |" in (tmp_path / "grading.md").read_text()


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
                "together_learning_rate_k4_run_epoch_s", "full_assignment_together_min"):
        assert results[key] > 0, key
