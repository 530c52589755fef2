#!/usr/bin/env bash
# One core beside the grid: runs ~/scratch/fg_queue.txt's "one: " lines in order from ~/fg_tree
# with one TensorFlow thread, appending each finished line to ~/runs/grid_done.txt.
set -u
cd "$HOME/fg_tree" || exit 1
export PYTHONPATH=$HOME/fg_tree TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
while IFS= read -r line; do
  grep -q -x -F -- "$line" "$HOME/runs/grid_done.txt" && continue
  echo "=== $(date -u +%FT%TZ) $line"
  if bash -c "${line#one: }"; then echo "$line" >> "$HOME/runs/grid_done.txt"; echo "=== done"
  else echo "=== failed: $line"; exit 1; fi
done < "$HOME/scratch/fg_queue.txt"
