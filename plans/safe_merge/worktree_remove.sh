# Removes the temporary worktree, whatever happened before.
. "$(dirname "$0")/lib.sh"
if [ -e "$SM_WORKTREE" ]; then
  git worktree remove --force "$SM_WORKTREE" || rm -rf "$SM_WORKTREE"
fi
git worktree prune
echo "worktree removed"
