# Pushes the merge commit to REMOTE/BRANCH (never forced: a remote that moved rejects it).
. "$(dirname "$0")/lib.sh"
git push "$SM_REMOTE" "$(cat "$SM_RUN_DIR/merge_commit"):refs/heads/$SM_BRANCH"
