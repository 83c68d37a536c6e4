# Releases the lock if, and only if, this run holds it.
. "$(dirname "$0")/lib.sh"
lock=$(lock_dir)
if [ -f "$lock/owner" ] && grep -qxF "run_id=$ENGINE_RUN_ID" "$lock/owner"; then
  rm -rf "$lock"
  echo "lock released"
else
  echo "this run does not hold the lock; nothing to release"
fi
