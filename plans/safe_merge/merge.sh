# Merges SOURCE into the worktree's BRANCH with a merge commit; on conflicts, lists the
# conflicting paths and leaves nothing half-merged.
. "$(dirname "$0")/lib.sh"
source_commit=$(cat "$SM_RUN_DIR/source_commit")
source=$(cat "$SM_RUN_DIR/source_name") # the worktree is detached: HEAD would name nothing
msg="Merge branch '$source' into $SM_BRANCH

safe-merge run $ENGINE_RUN_ID"
if ! git merge --no-ff --no-edit -m "$msg" "$source_commit"; then
  conflicts=$(git diff --name-only --diff-filter=U)
  git merge --abort 2>/dev/null || true
  [ -n "$conflicts" ] || die "git merge failed (see above)"
  echo "CONFLICT: merging '$source' into '$SM_BRANCH' conflicts in:" >&2
  printf '%s\n' "$conflicts" | sed 's/^/  /' >&2
  die "resolve the conflicts (e.g. merge $SM_BRANCH into $source yourself), then run again"
fi
git rev-parse HEAD >"$SM_RUN_DIR/merge_commit"
echo "merge commit: $(cat "$SM_RUN_DIR/merge_commit")"
