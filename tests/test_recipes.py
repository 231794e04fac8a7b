"""Do the recipes in recipes/ grade a course as one unsharded run does?

Each recipe's own commands are read out of it (the workflow's steps, the GitLab jobs' scripts, the sbatch
scripts, the Jobs' containers), run here as its engine would run them, shard by shard with the engine's
variables, then merged; the reports must equal an unsharded run's. The engines' setup steps (checkout, install,
caches, artifacts) are not run: this machine has none of those services. Slurm is the exception: a real
single-node Slurm (tests/slurm_cluster.py) runs recipes/slurm/submit.sh itself, array and dependent merge.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from autograder import report_files, shard_files, shards
from tests import slurm_cluster
from tests.conftest import ROOT, missing_tool, require_sandbox

RECIPES = ROOT / "recipes"
ASSIGNMENT = "regularization"  # one assignment of the bundled examples keeps each recipe's run under a minute


@dataclass
class Step:
    """A shell script a recipe runs, and the variables its engine sets for it."""

    script: str
    environ: dict[str, str]


@dataclass
class Recipe:
    shards: list[Step]
    merge: Step


def _without_engine_variables() -> dict[str, str]:
    """This test's environment with no engine's shard variables: the recipe's own must be the only ones."""
    return {name: value for name, value in os.environ.items()
            if name not in shards.ENGINE_VARIABLES and not name.startswith(("SLURM_", "CI_NODE_"))}


# --- reading each recipe ---------------------------------------------------------------------------------------

def _expand_github(text: str, context: dict[str, str]) -> str:
    """Replace ``${{ expression }}``; an expression this test does not know fails it (the recipe changed)."""
    def value(match: re.Match) -> str:
        expression = match.group(1).strip()
        if expression not in context:
            pytest.fail(f"recipes/github-actions/grade.yml uses ${{{{ {expression} }}}}, which this test cannot "
                        "evaluate: teach _expand_github its value")
        return context[expression]
    return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))


def _github_step(job: dict, name: str) -> dict:
    found = [step for step in job["steps"] if step.get("name") == name]
    assert len(found) == 1, f"the job has no single step named {name!r}"
    return found[0]


def github_actions() -> Recipe:
    workflow = yaml.safe_load((RECIPES / "github-actions" / "grade.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert list(triggers) == ["workflow_dispatch"], "grading is started by hand, never by a push"
    inputs = {f"inputs.{name}": spec["default"] for name, spec in triggers["workflow_dispatch"]["inputs"].items()}
    grade, merge = workflow["jobs"]["grade"], workflow["jobs"]["merge"]
    assert merge["needs"] == "grade" and merge["if"] == "always()"
    numbers = grade["strategy"]["matrix"]["shard"]
    shard_steps = []
    for number in numbers:
        context = {**inputs, "matrix.shard": str(number), "strategy.job-total": str(len(numbers))}
        step = _github_step(grade, "Grade this shard")
        shard_steps.append(Step(step["run"], {k: _expand_github(v, context) for k, v in step["env"].items()}))
    return Recipe(shard_steps, Step(_github_step(merge, "Merge the shards")["run"], {}))


def gitlab() -> Recipe:
    pipeline = yaml.safe_load((RECIPES / "gitlab" / "gitlab-ci.yml").read_text())
    variables = {name: str(value) for name, value in pipeline["variables"].items()}
    grade, merge = pipeline["grade"], pipeline["merge"]
    assert grade["stage"] == "grade" and merge["stage"] == "merge", "the merge must run after every shard"
    count = grade["parallel"]
    shard_steps = [Step("\n".join(grade["script"]),
                        {**variables, "CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(count)})
                   for index in range(1, count + 1)]
    return Recipe(shard_steps, Step("\n".join(merge["script"]), variables))


def _sbatch_option(script: str, option: str) -> str:
    found = re.findall(rf"^#SBATCH --{option}=(\S+)", script, re.MULTILINE)
    assert len(found) == 1, f"no single #SBATCH --{option}"
    return found[0]


def slurm() -> Recipe:
    grade = (RECIPES / "slurm" / "grade.sbatch").read_text()
    first, last = map(int, _sbatch_option(grade, "array").split("-"))
    cpus = _sbatch_option(grade, "cpus-per-task")
    shard_steps = [Step(grade, {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": str(first),
                                "SLURM_ARRAY_TASK_MAX": str(last), "SLURM_ARRAY_TASK_STEP": "1",
                                "SLURM_ARRAY_TASK_COUNT": str(last - first + 1), "SLURM_CPUS_PER_TASK": cpus})
                   for task in range(first, last + 1)]
    return Recipe(shard_steps, Step((RECIPES / "slurm" / "merge.sbatch").read_text(), {}))


def _container(path: Path) -> tuple[dict, dict]:
    job = yaml.safe_load(path.read_text())
    assert job["kind"] == "Job"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["workingDir"] == "/course" and container["volumeMounts"][0]["mountPath"] == "/course"
    return job, container


def _shell_command(container: dict) -> str:
    assert container["command"][:2] == ["sh", "-c"], "the recipe's command is one sh -c line"
    return container["command"][2]


def kubernetes() -> Recipe:
    job, container = _container(RECIPES / "kubernetes" / "grade-job.yaml")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    environ = {entry["name"]: entry["value"] for entry in container["env"]}
    assert environ["REGLAB_SHARD_COUNT"] == str(spec["completions"]), "REGLAB_SHARD_COUNT must equal completions"
    shard_steps = [Step(_shell_command(container), {**environ, "JOB_COMPLETION_INDEX": str(index)})
                   for index in range(spec["completions"])]
    _, merge = _container(RECIPES / "kubernetes" / "merge-job.yaml")
    return Recipe(shard_steps, Step(_shell_command(merge), {}))


RECIPE_READERS = {"github-actions": github_actions, "gitlab": gitlab, "slurm": slurm, "kubernetes": kubernetes}


# --- a course folder laid out as the recipes expect --------------------------------------------------------------

def course_folder(folder: Path) -> Path:
    """A course folder as the recipes see it: .venv/bin/python (this test's Python), submitted/ (one assignment of the
    bundled examples). The kit itself is reached through PYTHONPATH, as make install's path file does."""
    python = folder / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    # a script, not a link: the grader starts its sandboxed workers with sys.executable, which must be this
    # test's own interpreter (a path the sandbox has), not one inside the course folder
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    python.chmod(0o755)
    for notebook in sorted((ROOT / "examples" / "submitted").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")):
        target = folder / "submitted" / notebook.relative_to(ROOT / "examples" / "submitted")
        target.parent.mkdir(parents=True)
        shutil.copy(notebook, target)
    return folder


def _run(step: Step, course: Path) -> subprocess.CompletedProcess:
    environ = {**_without_engine_variables(), **step.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step.script], cwd=course, env=environ,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory) -> dict[str, bytes]:
    """The reports of the recipes' course graded in one run, without shards."""
    require_sandbox()
    course = course_folder(tmp_path_factory.mktemp("unsharded") / "course")
    graded = _run(Step(".venv/bin/python -m autograder.grade submitted --workers 2 --out reports", {}), course)
    assert graded.returncode == 0, graded.stderr
    report = json.loads((course / "reports" / ASSIGNMENT / "report.json").read_text())
    points = {entry["student"]: (entry["points"], entry["max_points"]) for entry in report["submissions"]}
    assert points["ada"][0] == points["ada"][1] > 0, f"the solution lost points: the grader is broken: {points}"
    return report_files.without_timings(course / "reports")


# --- the tests -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", RECIPE_READERS)
def test_each_recipe_grades_as_one_unsharded_run(name, unsharded, tmp_path):
    """Do a recipe's own commands, run shard by shard with its engine's variables and then merged, write the
    reports one unsharded run writes?"""
    recipe = RECIPE_READERS[name]()
    assert len(recipe.shards) >= 2
    course = course_folder(tmp_path / "course")
    for number, step in enumerate(recipe.shards, start=1):
        graded = _run(step, course)
        assert graded.returncode == 0, f"shard {number}: {graded.stderr}"
        assert f"Shard {number}/{len(recipe.shards)}" in graded.stderr, "the engine's variables named another shard"
    merged = _run(recipe.merge, course)
    assert merged.returncode == 0, merged.stderr
    assert report_files.without_timings(course / "reports") == unsharded
    assert sum(len(shard_files.read(folder).graded) for folder in (course / "shards").glob("shard-*")) == 3


def test_a_recipe_that_lost_its_count_refuses_to_grade(tmp_path):
    """Does a shard job run without its count (a Kubernetes Job whose REGLAB_SHARD_COUNT was deleted) refuse,
    rather than grade every submission?"""
    step = kubernetes().shards[0]
    course = course_folder(tmp_path / "course")
    graded = _run(Step(step.script, {"JOB_COMPLETION_INDEX": "0"}), course)
    assert graded.returncode == 2 and "REGLAB_SHARD_COUNT" in graded.stderr
    assert not (course / "shards").exists()


def test_slurm_grades_the_shards_for_real(unsharded, tmp_path):
    """Does a real Slurm (one node, started here) run recipes/slurm/submit.sh, its array of shards and the merge
    that waits for them, into the reports of one unsharded run?"""
    if why := slurm_cluster.missing():
        missing_tool(why)
    course = course_folder(tmp_path / "course")
    cluster = tmp_path / "slurm"
    with slurm_cluster.single_node_slurm(cluster) as environ:
        environ = {**_without_engine_variables(), "SLURM_CONF": environ["SLURM_CONF"], "PYTHONPATH": str(ROOT)}
        submitted = subprocess.run(["bash", str(RECIPES / "slurm" / "submit.sh")], cwd=course, env=environ,
                                   capture_output=True, text=True, timeout=60)
        assert submitted.returncode == 0, submitted.stderr
        slurm_cluster.wait_for_jobs(environ, cluster, timeout=900)
    logs = {path.name: path.read_text() for path in sorted((course / "shards").glob("slurm-*.out"))}
    assert (course / "reports").is_dir(), f"the merge job wrote no reports: {logs}\n{slurm_cluster.logs(cluster)}"
    assert report_files.without_timings(course / "reports") == unsharded
    records = [shard_files.read(folder).record for folder in sorted((course / "shards").glob("shard-*"))]
    assert [record.shard.source for record in records] == [
        f"Slurm SLURM_ARRAY_TASK_ID={task} of 4 from 1" for task in range(1, 5)], "Slurm's array did not set them"
    assert len([name for name in logs if name.startswith("slurm-merge-")]) == 1, logs
