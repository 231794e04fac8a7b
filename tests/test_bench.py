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
    """Does bench.training time both loops and find the kit recording the seed's statistics, equal for one seed?"""
    from bench import training

    assert training.main(["--train", "200", "--validation", "50", "--epochs", "1", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "training.json").read_text())
    assert results["same_statistics"]["missing"] == []
    assert results["same_statistics"]["max_relative_difference"] < 1e-4
    assert results["seed_fit_epoch_s"] > 0
    assert results["kit_fit_epoch_s"] > 0
