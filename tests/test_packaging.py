"""Does the distribution a student could install hold the student's package and nothing of the instructor's?"""

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_the_wheel_holds_no_grader_checks_bench_or_tests(tmp_path):
    """Built from a copy of the project files, does the wheel list only reglab's modules and its metadata?"""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    for name in ("reglab", "autograder", "bench", "tests"):  # all there, as in a checkout: only reglab may go in
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(project)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("reglab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert packages == {"reglab"}
    assert "reglab/training.py" in names and "reglab/_loop.py" in names
    assert not [name for name in names if "check" in name or "solution" in name]
