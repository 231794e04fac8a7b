"""The nbgrader course: its configuration and running nbgrader's converters in-process."""

import os
import sys
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent


def config(root: Path = ROOT, gradebook: Path | None = None, output_root: Path | None = None):
    """The course's ``nbgrader_config.py``, optionally redirected to another gradebook and output folder."""
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
    converter.start()  # raises NbGraderException after logging nbgrader's own account of what failed
