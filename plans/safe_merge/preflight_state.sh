# The work tree has no uncommitted changes to tracked files, and no merge, rebase,
# cherry-pick or revert is in progress.
. "$(dirname "$0")/lib.sh"
changes=$(git status --porcelain --untracked-files=no)
[ -z "$changes" ] || die "the work tree has uncommitted changes; commit or stash them first:
$changes"
for f in MERGE_HEAD CHERRY_PICK_HEAD REVERT_HEAD rebase-merge rebase-apply; do
  [ ! -e "$(git rev-parse --git-path "$f")" ] || die "an operation is in progress ($f); finish or abort it first"
done
echo "work tree clean, nothing in progress"
