# Fast-forwards the worktree to REMOTE/BRANCH when the remote is ahead; fails when they
# have diverged (a safe merge never rewrites what others pushed).
. "$(dirname "$0")/lib.sh"
remote_ref="refs/remotes/$SM_REMOTE/$SM_BRANCH"
if ! git rev-parse -q --verify "$remote_ref" >/dev/null; then
  echo "$SM_REMOTE has no branch $SM_BRANCH yet: nothing to fast-forward"
  exit 0
fi
git merge --ff-only "$remote_ref" ||
  die "'$SM_BRANCH' has diverged from $SM_REMOTE/$SM_BRANCH; reconcile them first"
