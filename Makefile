# reglab: one entry point for people and CI. Override any variable: make test PYTHON=python3.12
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ASSIGNMENTS ?= $(notdir $(patsubst %/,%,$(dir $(wildcard source/*/*.ipynb))))
EXAMPLES ?= examples/submitted
REPORTS ?= reports
WORKERS ?= 2
PYTEST_ARGS ?=
DIST ?= dist
# What submissions run inside on Gradescope: auto (a sandbox, or none graded), or none, the recorded opt-out
GRADESCOPE_ISOLATION ?= auto

.PHONY: example test test-as-user release solutions grade-example nbgrader-example lms-example gradescope bench bench-shards bench-speed effects mutants install clean-course clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The virtual environment is (re)built when the dependency files change.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[instructor,test]"
	@# the instructor side (autograder/, bench/) is not in the distribution: put the checkout on the path
	$(BIN)/python -c "import pathlib, site; pathlib.Path(site.getsitepackages()[0], 'reglab-kit.pth').write_text(str(pathlib.Path.cwd()) + '\n')"
	$(BIN)/python -c "import torch, torchvision, nbgrader; print('installed torch', torch.__version__, 'torchvision', torchvision.__version__, 'nbgrader', nbgrader.__version__)"
	touch $@

install: $(BIN)/.installed  ## create .venv with everything the kit needs

example: release solutions grade-example  ## the main job: build the releases, grade the bundled submissions, print scores, write feedback

release: $(BIN)/.installed  ## generate release/ from source/ (nbgrader generate_assignment)
	$(BIN)/python -m autograder.build release $(ASSIGNMENTS)

solutions: $(BIN)/.installed  ## generate solutions/ from source/ (nbgrader generate_solution)
	$(BIN)/python -m autograder.build solutions $(ASSIGNMENTS)

# The bundled examples are the kit's own notebooks, so where this machine offers no sandbox they are graded
# with the explicit opt-out, said above the scores and recorded in every report; students' work never is.
grade-example: $(BIN)/.installed  ## grade examples/submitted with the hidden checks; reports and feedback in reports/
	@if $(BIN)/python -m autograder.launchers >/dev/null 2>&1; then flag=; else flag=--no-isolation; \
		echo "No sandbox on this machine (python -m autograder.launchers says why). The bundled examples are the kit's"; \
		echo "own notebooks, so they are graded with --no-isolation; install bubblewrap before grading students' work."; fi; \
	$(BIN)/python -m autograder.grade $(EXAMPLES) --out $(REPORTS) --workers $(WORKERS) $$flag

# Autograding needs the gradebook's record of each assignment, which `release` writes (a fresh clone has no
# gradebook). clean-course comes first: nbgrader refuses to change the cells of an assignment with submissions.
nbgrader-example: $(BIN)/.installed clean-course release  ## the same submissions through nbgrader autograde and generate_feedback
	@for assignment in $(ASSIGNMENTS); do \
		PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m autograder.nbgrader_grading $$assignment $(EXAMPLES) || exit 1; \
	done

gradescope: $(BIN)/.installed  ## one Gradescope autograder zip per assignment in dist/gradescope/ (GRADESCOPE_ISOLATION=none: no sandbox, recorded)
	$(BIN)/python -m autograder.gradescope_bundle $(ASSIGNMENTS) --out $(DIST)/gradescope --isolation $(GRADESCOPE_ISOLATION)

# Nobody graded the examples' written answers in the formgrader, so their totals hold the autograded points
# (--allow-ungraded-written), which each row and the record say; a course passes --gradebook gradebook.db instead.
LMS_EXAMPLE = --reports $(REPORTS) --roster examples/roster.csv --late-policy examples/late-policy.toml \
	--submitted $(EXAMPLES) --allow-ungraded-written
lms-example: $(BIN)/.installed  ## after make example: Canvas and Moodle import files of the examples, late penalties applied, in reports/lms/
	$(BIN)/python -m autograder.export canvas $(LMS_EXAMPLE) --out $(REPORTS)/lms/canvas.csv
	$(BIN)/python -m autograder.export moodle $(LMS_EXAMPLE) --out $(REPORTS)/lms/moodle.csv

bench: $(BIN)/.installed  ## measure grading and training speed; tables in bench/results/ (about 25 minutes)
	$(BIN)/python -m bench.training
	$(BIN)/python -m bench.grading

bench-shards: $(BIN)/.installed  ## grade 200 submissions as 1, 2 and 4 shards at once and merge them; bench/results/shards.md (about 45 minutes on 2 cores)
	$(BIN)/python -m bench.shards

bench-speed: $(BIN)/.installed  ## the CNN and MLP loops against the seeds', every notebook's minutes per profile; bench/results/speed.md (about 25 minutes on 2 cores)
	$(BIN)/python -m bench.speed

effects: $(BIN)/.installed  ## run every solution notebook and test the effects its questions ask about; bench/results/effects.md (about 11 minutes on 2 cores)
	$(BIN)/python -m bench.effects

test: $(BIN)/.installed  ## run the test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

mutants: $(BIN)/.installed  ## grade mutants of every solution with the real grader; bench/results/mutation.md (about 30 minutes)
	$(BIN)/python -m autograder.mutation_report --workers $(WORKERS)

test-as-user:  ## (root) run the isolation tests again as a throwaway unprivileged user, as CI does
	bash .ci/test-as-user

clean-course:  ## forget collected submissions, grades and feedback (the course state)
	rm -rf submitted autograded feedback
	@# keep the gradebook's assignments (written by `make release`), drop its students
	@[ ! -f gradebook.db ] || $(BIN)/python -c "from nbgrader.api import Gradebook; gb = Gradebook('sqlite:///gradebook.db'); [gb.remove_student(s.id) for s in gb.students]; gb.close()"

clean: clean-course  ## remove the virtual environment, reports and all course state
	rm -rf $(VENV) gradebook.db $(REPORTS) $(DIST)
