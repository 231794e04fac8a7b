#!/bin/bash
# Grade the course on a Slurm cluster: run from the course folder (the kit, with .venv from `make install` and
# the students' work in submitted/), on a file system the compute nodes share.
#
#     bash recipes/slurm/submit.sh
#
# The array grades the shards; the merge starts when every task has ended (afterany, not afterok: when a shard
# failed, the merge still runs and lists what is missing and why). Its output: shards/slurm-merge-JOBID.out.
set -euo pipefail
here="$(dirname "$0")"
mkdir -p shards
grade=$(sbatch --parsable "$here/grade.sbatch")
merge=$(sbatch --parsable --dependency="afterany:${grade%%;*}" "$here/merge.sbatch")
echo "grading: array job $grade; merge: job $merge (reports/ when it ends)"
