#!/usr/bin/env bash
# The background grid: runs the commands of ~/runs/grid_queue.txt in order, from the worktree
# ~/grid_tree (a snapshot of main, so edits in /work/main cannot break a run), on the
# machine's 2 cores as 2 slots. A line that starts with "one: " is one training: it takes one
# slot, with one thread in TensorFlow's pools (docs/results.md, "Two trainings at once on
# 2 cores": two 1-thread trainings train 1.3-1.4 times the images/s of one with both cores),
# and writes its own log. Any other line (compare.py --jobs 2, git checkout) takes both
# slots. Lines start in the queue's order, a line when its slots are free; a slot freed
# while the next line needs both waits. A finished line is appended to ~/runs/grid_done.txt;
# after a failure nothing new starts. Rerun this script to continue after a kill:
#   cd ~/runs && setsid nohup ./grid.sh > grid.log 2>&1 &
set -u
QUEUE=$HOME/runs/grid_queue.txt DONE=$HOME/runs/grid_done.txt
cd "$HOME/grid_tree" || exit 1
export PYTHONPATH=$HOME/grid_tree
touch "$DONE"
declare -A line_of slots_of  # by the pid of the running line
free=2 failed=0

pending() {  # the queue's lines neither done nor running, in order
  grep -v '^#' "$QUEUE" | grep -v '^$' | grep -v -x -F -f "$DONE" \
    | grep -v -x -F -f <(printf '%s\n' "${line_of[@]}" "#") | head -1
}

wait_for_one() {
  local pid status
  wait -n -p pid; status=$?
  free=$(( free + slots_of[$pid] ))
  if [ "$status" -eq 0 ]; then
    echo "${line_of[$pid]}" >> "$DONE"; echo "=== $(date -u +%FT%TZ) done: ${line_of[$pid]}"
  else
    failed=1; echo "=== $(date -u +%FT%TZ) failed ($status): ${line_of[$pid]}"
  fi
  unset "line_of[$pid]" "slots_of[$pid]"
}

while true; do
  next=$( [ "$failed" -eq 0 ] && pending )
  if [ -z "$next" ]; then
    [ "${#line_of[@]}" -eq 0 ] && break
    wait_for_one; continue
  fi
  need=2; [ "${next#one: }" != "$next" ] && need=1
  if [ "$free" -lt "$need" ]; then wait_for_one; continue; fi
  echo "=== $(date -u +%FT%TZ) $next"
  if [ "$need" -eq 1 ]; then
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 bash -c "${next#one: }" &
  else
    bash -c "$next" &
  fi
  line_of[$!]=$next; slots_of[$!]=$need; free=$(( free - need ))
done
if [ "$failed" -ne 0 ]; then echo "grid stopped after a failure"; exit 1; fi
echo "grid queue empty"
