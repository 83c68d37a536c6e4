# A temporary worktree, detached at BRANCH, so the user's checkout is never touched.
. "$(dirname "$0")/lib.sh"
git worktree add --detach "$SM_WORKTREE" "$(cat "$SM_RUN_DIR/branch_before")"
