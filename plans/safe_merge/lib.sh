# Shared by the safe_merge steps (sourced, POSIX sh). Values come from the plan's globals.env:
# SM_BRANCH, SM_SOURCE, SM_REMOTE, SM_RUN_DIR (this run's scratch dir), SM_WORKTREE.
set -eu

die() {
  printf 'safe-merge: %s\n' "$*" >&2
  exit 1
}

# The lock is a directory in the repository's common git dir, so every worktree of one
# repository shares it; mkdir is atomic, so exactly one run gets it.
lock_dir() {
  printf '%s/safe-merge.lock' "$(git rev-parse --path-format=absolute --git-common-dir)"
}

# The name SOURCE refers to: the checked-out branch when SOURCE is HEAD.
source_name() {
  if [ "$SM_SOURCE" = HEAD ]; then
    git symbolic-ref --short -q HEAD || echo HEAD
  else
    echo "$SM_SOURCE"
  fi
}

remote_exists() {
  git remote get-url "$SM_REMOTE" >/dev/null 2>&1
}
