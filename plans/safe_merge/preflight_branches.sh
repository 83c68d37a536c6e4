# BRANCH and SOURCE exist, SOURCE is not BRANCH, and BRANCH is not checked out anywhere
# (moving a checked-out branch would leave that work tree out of date).
. "$(dirname "$0")/lib.sh"
git rev-parse --verify -q "refs/heads/$SM_BRANCH^{commit}" >/dev/null ||
  die "branch '$SM_BRANCH' does not exist (BRANCH)"
git rev-parse --verify -q "$SM_SOURCE^{commit}" >/dev/null ||
  die "'$SM_SOURCE' does not name a commit (SOURCE)"
src=$(source_name)
[ "$src" != "$SM_BRANCH" ] ||
  die "SOURCE is '$SM_BRANCH' itself: check out the branch to merge, or pass --var SOURCE=<branch>"
if git worktree list --porcelain | grep -qxF "branch refs/heads/$SM_BRANCH"; then
  die "branch '$SM_BRANCH' is checked out in a work tree ($(git worktree list | grep -F "[$SM_BRANCH]" | cut -d' ' -f1)); switch that work tree to another branch first"
fi
echo "merge '$src' ($(git rev-parse --short "$SM_SOURCE^{commit}")) into '$SM_BRANCH' ($(git rev-parse --short "refs/heads/$SM_BRANCH"))"
