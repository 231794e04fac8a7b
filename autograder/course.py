"""The course: which assignments it has, where each one's notebooks live, and its nbgrader configuration.

Where things are is answered here, cheaply (the grader and the tests ask often); nbgrader itself is imported
only by the functions that configure or run it.
"""

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def assignments(root: Path = ROOT) -> list[str]:
    """The assignment ids: the folders of ``source/`` that hold a notebook."""
    return sorted(p.parent.name for p in (root / "source").glob("*/*.ipynb"))


def source_notebook(assignment: str, root: Path = ROOT) -> Path:
    """The instructor's notebook: solutions, visible and hidden tests, points."""
    return root / "source" / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str, root: Path = ROOT) -> Path:
    """The student's notebook, as ``make release`` generates it."""
    return root / "release" / assignment / f"{assignment}.ipynb"


def solution_notebook(assignment: str, root: Path = ROOT) -> Path:
    """The solutions without outputs, as ``make solutions`` generates them."""
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def config(root: Path = ROOT, gradebook: Path | None = None, output_root: Path | None = None):
    """The course's ``nbgrader_config.py``, optionally redirected to another gradebook and output folder."""
    from traitlets.config.loader import PyFileConfigLoader

    loaded = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    loaded.CourseDirectory.root = str(root)
    if gradebook is not None:
        loaded.CourseDirectory.db_url = f"sqlite:///{Path(gradebook).resolve()}"
    if output_root is not None:  # nbgrader joins these names to the root; absolute paths win the join
        for step in ("release", "solution", "submitted", "autograded", "feedback"):
            name = getattr(loaded.CourseDirectory, f"{step}_directory")
            setattr(loaded.CourseDirectory, f"{step}_directory", str(Path(output_root).resolve() / name))
    return loaded


def run(converter_class, assignment: str, course_config, student: str | None = None) -> None:
    """Run one nbgrader converter (GenerateAssignment, Autograde, ...) for an assignment."""
    from nbgrader.coursedir import CourseDirectory

    # nbgrader's gradebook runs the `alembic` command from PATH, which lacks the
    # virtual environment's bin/ when its python is called by full path
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    course_config.CourseDirectory.assignment_id = assignment
    if student is not None:
        course_config.CourseDirectory.student_id = student
    converter = converter_class(coursedir=CourseDirectory(config=course_config), config=course_config)
    converter.force = True
    with _kit_on_kernel_path():
        converter.start()  # raises NbGraderException after logging nbgrader's own account of what failed


@contextlib.contextmanager
def _kit_on_kernel_path():
    """The kit on PYTHONPATH while nbgrader runs, for the kernels it starts (and only then).

    The kernels nbgrader grades in run the hidden tests, which import the kit's checks (autograder.checks).
    Without the kit on their path every test cell fails on the import and every student gets zero, without a
    word: in any environment that lacks `make install`'s path file (CI's unprivileged run had none).
    """
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), before]))
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
