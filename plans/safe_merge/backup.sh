# Records the commits of BRANCH and SOURCE before the merge: as refs under
# refs/safe-merge/backup/<run_id>/ and as a state file, so the merge can be undone.
. "$(dirname "$0")/lib.sh"
mkdir -p "$SM_RUN_DIR" "$SM_BACKUP_DIR"
branch_before=$(git rev-parse "refs/heads/$SM_BRANCH")
source_commit=$(git rev-parse "$SM_SOURCE^{commit}")
remote_before=""
if remote_exists; then
  remote_before=$(git rev-parse -q --verify "refs/remotes/$SM_REMOTE/$SM_BRANCH" || true)
fi
git update-ref -m "safe-merge $ENGINE_RUN_ID backup" "refs/safe-merge/backup/$ENGINE_RUN_ID/branch" "$branch_before"
git update-ref -m "safe-merge $ENGINE_RUN_ID backup" "refs/safe-merge/backup/$ENGINE_RUN_ID/source" "$source_commit"
echo "$branch_before" >"$SM_RUN_DIR/branch_before"
echo "$source_commit" >"$SM_RUN_DIR/source_commit"
source_name >"$SM_RUN_DIR/source_name"
cat >"$SM_BACKUP_DIR/$ENGINE_RUN_ID.json" <<JSON
{"run_id": "$ENGINE_RUN_ID", "repository": "$(git rev-parse --path-format=absolute --git-common-dir)", "branch": "$SM_BRANCH", "branch_before": "$branch_before", "source": "$(cat "$SM_RUN_DIR/source_name")", "source_commit": "$source_commit", "remote": "$SM_REMOTE", "remote_branch_before": "$remote_before"}
JSON
echo "backup: refs/safe-merge/backup/$ENGINE_RUN_ID/branch = $branch_before"
echo "undo:   git update-ref refs/heads/$SM_BRANCH refs/safe-merge/backup/$ENGINE_RUN_ID/branch"
