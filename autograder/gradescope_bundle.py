"""Build the zip that Gradescope's autograder takes, one per assignment, to upload as it is.

    python -m autograder.gradescope_bundle ASSIGNMENT [ASSIGNMENT ...] [--out dist/gradescope]
                                           [--isolation auto|bubblewrap|namespaces|none]

A bundle holds these, and nothing else (``tests/test_gradescope_bundle.py`` lists every one):

- ``setup.sh`` and ``run_autograder``, at the zip's root as Gradescope wants them, rendered from
  ``templates/gradescope/``;
- ``requirements.txt``: what the grader imports, pinned: ``constraints.txt``'s pins, the rest at the versions of
  the environment that builds the bundle (where the kit's tests pass); PyTorch's CPU wheels;
- ``reglab-gradescope.json``, the record: assignment, isolation (an opt-out is written here), kit version, the
  release's sha256;
- ``autograder/``: the modules that ``run_autograder`` and its sandboxed worker import, found from their imports,
  and this assignment's hidden checks alone;
- ``reglab/``, the student's package, and ``release/ASSIGNMENT/ASSIGNMENT.ipynb``, the grading template.

Never solutions, sources, tests, examples, other assignments' checks or ``.git``; the builder refuses to write a
bundle with a solution line in it. The same inputs give the same bytes: entries sorted, times fixed.

``--isolation none`` is the instructor's explicit opt-out for containers where no sandbox starts: it is
written in the record, printed on every grading, named in every result, and the zip is called
``ASSIGNMENT.no-isolation.zip`` so that it is never mistaken for, nor overwrites, the sandboxed one.
"""

import argparse
import ast
import hashlib
import importlib.metadata
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import jinja2

from autograder import course, grader_identity, launchers
from autograder.gradescope_run import NO_ISOLATION, RECORD
from autograder.reports.gradescope import INSTRUCTOR_ENTRY

PACKAGE = "autograder"
# What run_autograder starts, and what that starts in the sandbox; with the assignment's checks, the roots of
# the import graph whose modules go into the bundle.
ENTRY_MODULES = ("autograder.gradescope_run", "autograder.worker")
ISOLATION_CHOICES = (*launchers.CHOICES, NO_ISOLATION)
# What the bundle's Python imports from outside the standard library (a test checks every import against this);
# pip brings what these need.
GRADER_DISTRIBUTIONS = ("torch", "torchvision", "numpy", "matplotlib", "pandas", "tqdm", "pillow", "nbformat",
                        "nbclient", "nbgrader", "traitlets", "ipython", "matplotlib-inline", "pytest", "jinja2")
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_WHEELS = ("torch", "torchvision")  # pinned with "+cpu", PyTorch's label for its CPU-only wheels
REQUIREMENTS = "requirements.txt"
VENV = "reglab-venv"  # beside source/ in Gradescope's /autograder: setup.sh makes it, run_autograder runs it
SOLUTION_MARKER = "### BEGIN SOLUTION"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no build time in the bytes
EXECUTABLE = ("setup.sh", "run_autograder")


def module_file(name: str, root: Path = course.ROOT) -> Path | None:
    """The file of module ``name`` of the kit, or None where the name is not a module (an attribute)."""
    path = root.joinpath(*name.split("."))
    return next((file for file in (path.with_suffix(".py"), path / "__init__.py") if file.is_file()), None)


def imported_modules(source: str, package: str = PACKAGE) -> set[str]:
    """Every module of ``package`` that ``source`` imports, anywhere in it, and the names imported from them
    (which may be modules: ``from autograder import reports``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == package:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def kit_modules(assignment: str, root: Path = course.ROOT) -> list[Path]:
    """The files of every module of the kit that grading ``assignment`` may import, and of their packages."""
    pending, files = [*ENTRY_MODULES, f"{PACKAGE}.checks.{assignment}"], set()
    while pending:
        name = pending.pop()
        file = module_file(name, root)
        if file is None or file in files:
            continue
        files.add(file)
        parts = name.split(".")
        pending += [".".join(parts[:end]) for end in range(1, len(parts))]  # the packages it lies in
        pending += imported_modules(file.read_text(encoding="utf-8"))
    return sorted(files)


def pins(constraints: Path = course.ROOT / "constraints.txt") -> dict[str, str]:
    """``constraints.txt``'s pins, by normalized distribution name."""
    found = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[_normalized(name)] = version.strip()
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def requirements(kit_version: str) -> str:
    """The pinned requirements file: the kit's tested pins where it has them, else the installed versions."""
    tested = pins()
    lines = []
    for name in sorted(GRADER_DISTRIBUTIONS):
        try:
            version = tested.get(name) or importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is not installed here, so its version cannot be pinned: make install") from None
        if name in CPU_WHEELS and "+" not in version:
            version += "+cpu"
        lines.append(f"{name}=={version}")
    header = [f"# Generated by python -m autograder.gradescope_bundle (reglab {kit_version}): do not edit.",
              "# What the grader imports, pinned: constraints.txt's pins, the rest at the versions of the environment",
              "# that built the bundle. PyTorch's CPU-only wheels (+cpu), from PyTorch's own index: Gradescope's",
              "# graders have no GPU, and the CUDA wheels are gigabytes larger.",
              f"--extra-index-url {CPU_INDEX}"]
    return "\n".join([*header, *lines]) + "\n"


def _render(template: str, **context) -> str:
    environment = jinja2.Environment(loader=jinja2.PackageLoader(PACKAGE, "templates/gradescope"),
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return environment.get_template(template).render(**context)


def bundle_files(assignment: str, isolation: str = "auto", root: Path = course.ROOT) -> dict[str, bytes]:
    """Every file of ``assignment``'s bundle, by its path in the zip."""
    kit_version = grader_identity.kit_version(root)
    release = course.release_notebook(assignment, root)
    generated_by = f"Generated by python -m autograder.gradescope_bundle (reglab {kit_version}) for {assignment}"
    record = {
        "generated_by": generated_by,
        "assignment": assignment,
        "isolation": isolation,
        "isolation_opt_out": isolation == NO_ISOLATION,
        "kit_version": kit_version,
        "release_sha256": hashlib.sha256(release.read_bytes()).hexdigest(),
    }
    context = {"generated_by": generated_by, "venv": VENV, "requirements": REQUIREMENTS,
               "instructor_entry": INSTRUCTOR_ENTRY}
    files = {
        "setup.sh": _render("setup.sh.j2", **context).encode(),
        "run_autograder": _render("run_autograder.j2", **context).encode(),
        REQUIREMENTS: requirements(kit_version).encode(),
        RECORD: (json.dumps(record, indent=2) + "\n").encode(),
        release.relative_to(root).as_posix(): release.read_bytes(),
    }
    # no data files: the feedback pages' templates, the one kind the grader has, are for reports Gradescope never gets
    kit = [*kit_modules(assignment, root), *sorted((root / "reglab").glob("*.py"))]
    files |= {path.relative_to(root).as_posix(): path.read_bytes() for path in kit}
    return files


def refuse_secrets(files: dict[str, bytes]) -> None:
    """Stop the build if a solution line reached the bundle: it would be readable in Gradescope's container."""
    leaked = sorted(name for name, data in files.items() if SOLUTION_MARKER.encode() in data)
    if leaked:
        raise SystemExit(f"refusing to build: {', '.join(leaked)} hold{'s' * (len(leaked) == 1)} solution lines")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The zip of ``files``: sorted, deflated, fixed times; the two scripts executable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def bundle_name(assignment: str, isolation: str) -> str:
    return f"{assignment}.no-isolation.zip" if isolation == NO_ISOLATION else f"{assignment}.zip"


def build(assignment: str, out: Path, isolation: str = "auto", root: Path = course.ROOT) -> Path:
    """Write ``assignment``'s bundle into ``out``; return its path."""
    files = bundle_files(assignment, isolation, root)
    refuse_secrets(files)
    path = Path(out) / bundle_name(assignment, isolation)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(zip_bytes(files))
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope_bundle",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="+", choices=course.assignments(), metavar="ASSIGNMENT")
    parser.add_argument("--out", type=Path, default=Path("dist/gradescope"))
    parser.add_argument("--isolation", choices=ISOLATION_CHOICES, default="auto",
                        help="what submissions run inside on Gradescope (default: the strongest sandbox there, or "
                             "none graded); none: no sandbox, recorded, and the hidden checks readable by student code")
    args = parser.parse_args(argv)
    if args.isolation == NO_ISOLATION:
        print("WARNING: building WITHOUT isolation (the recorded opt-out): on Gradescope, submissions' code will run "
              "as root beside the grader, able to read the hidden checks in /autograder/source and to change "
              "/autograder/results. Every result records it.", file=sys.stderr)
    for assignment in args.assignments:
        path = build(assignment, args.out, args.isolation)
        with zipfile.ZipFile(path) as archive:
            count = len(archive.namelist())
        print(f"{path}: {count} files, {path.stat().st_size / 1024:.0f} KiB (isolation: {args.isolation})")
    print("Upload each zip in Gradescope: the assignment's Configure Autograder page, Zip file upload; base image "
          "Ubuntu 24.04 (Python 3.12). The README's Gradescope section says what students see, and when.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
