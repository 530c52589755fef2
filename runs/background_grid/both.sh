#!/usr/bin/env bash
# Runs two commands of the grid at once, each with one thread in TensorFlow's pools, the
# way `tools/compare.py --jobs 2` runs two trainings (docs/results.md, "Two trainings at
# once on 2 cores": 1.3-1.4 times the images/s of one training with both cores):
#   both.sh 'COMMAND 1' LOG1 'COMMAND 2' LOG2
# Succeeds when both do; each command's output goes to its log.
set -u
export TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
bash -c "$1" >> "$2" 2>&1 & first=$!
bash -c "$3" >> "$4" 2>&1 & second=$!
wait $first; first_status=$?
wait $second; second_status=$?
echo "both.sh: $first_status ($2), $second_status ($4)"
[ $first_status -eq 0 ] && [ $second_status -eq 0 ]
