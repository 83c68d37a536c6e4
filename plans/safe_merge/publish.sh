# Moves BRANCH to the merge commit, atomically and only if BRANCH is still where the backup
# found it.
. "$(dirname "$0")/lib.sh"
merge=$(cat "$SM_RUN_DIR/merge_commit")
git update-ref -m "safe-merge $ENGINE_RUN_ID" "refs/heads/$SM_BRANCH" "$merge" "$(cat "$SM_RUN_DIR/branch_before")" ||
  die "'$SM_BRANCH' moved during the merge; nothing was changed locally"
echo "$SM_BRANCH is now $merge"
