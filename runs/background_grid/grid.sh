#!/usr/bin/env bash
# The background grid: runs the commands of ~/runs/grid_queue.txt in order, from the worktree
# ~/grid_tree (a snapshot of main, so edits in /work/main cannot break a run); a finished
# line is appended to ~/runs/grid_done.txt. Rerun this script to continue after a kill:
#   cd ~/runs && setsid nohup ./grid.sh > grid.log 2>&1 &
set -u
WAIT_PID=${1:-}
if [ -n "$WAIT_PID" ]; then  # the first HAT run, started before this script
  start=$(date -d "$(ps -o lstart= -p "$WAIT_PID")" +%s)
  while kill -0 "$WAIT_PID" 2>/dev/null; do sleep 20; done
  echo "{\"wall_seconds\": $(( $(date +%s) - start ))}" > "$HOME/runs/c100/seed0/alexnet_hat/wall_seconds.json"
fi
cd "$HOME/grid_tree"
export PYTHONPATH=$HOME/grid_tree
touch "$HOME/runs/grid_done.txt"
while true; do
  next=$(grep -v -x -F -f "$HOME/runs/grid_done.txt" "$HOME/runs/grid_queue.txt" | grep -v '^#' | grep -v '^$' | head -1)
  [ -z "$next" ] && { echo "grid queue empty"; break; }
  echo "=== $(date -u +%FT%TZ) $next"
  if bash -c "$next"; then
    echo "$next" >> "$HOME/runs/grid_done.txt"
  else
    echo "=== failed: $next"; break
  fi
done
