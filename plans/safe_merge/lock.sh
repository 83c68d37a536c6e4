# Takes the repository's safe-merge lock, or fails naming the run that holds it.
# SM_BREAK_LOCK=true removes a lock left behind by a dead run first.
. "$(dirname "$0")/lib.sh"
lock=$(lock_dir)
holder_alive() {
  pid=$(sed -n 's/^pid=//p' "$lock/owner" 2>/dev/null || true)
  host=$(sed -n 's/^host=//p' "$lock/owner" 2>/dev/null || true)
  [ -n "$pid" ] && [ "$host" = "$(hostname)" ] && kill -0 "$pid" 2>/dev/null
}
if [ "$SM_BREAK_LOCK" = true ] && [ -d "$lock" ]; then
  if holder_alive; then
    die "BREAK_LOCK=true, but the lock's holder is alive (engine pid $pid): $(tr '\n' ' ' <"$lock/owner")"
  fi
  echo "breaking the lock held by: $(cat "$lock/owner" 2>/dev/null | tr '\n' ' ')"
  rm -rf "$lock"
fi
if ! mkdir "$lock" 2>/dev/null; then
  holder=$(sed -n 's/^run_id=//p' "$lock/owner" 2>/dev/null || true)
  hint=""
  if ! holder_alive && [ -n "$pid" ] && [ "$host" = "$(hostname)" ]; then
    hint=" (its engine process $pid is gone: the lock is stale)"
  fi
  die "another safe merge holds the lock $lock: run ${holder:-unknown}${hint}. If that run is dead, run again with --var BREAK_LOCK=true"
fi
printf 'run_id=%s\npid=%s\nhost=%s\nsince=%s\n' "$ENGINE_RUN_ID" "$PPID" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$lock/owner"
echo "lock taken: $lock"
