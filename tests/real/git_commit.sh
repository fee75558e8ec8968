# git init, add and commit in a temporary repository under memplumber (git runs several processes).
# Dates and identity are fixed so that both runs print the same commit id.
. "$(dirname "$0")/_lib.sh"
need git
export GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'
REPO=$WORK/repo
reset_state() {
    rm -rf "$REPO"
    mkdir -p "$REPO/src"
    for i in 1 2 3 4 5; do printf 'file %s\n' "$i" >"$REPO/src/f$i.txt"; done
    printf 'hello\n' >"$REPO/README"
}
cd "$WORK" || exit 1
compare_run git_commit bash -c '
    cd repo &&
    git -c init.defaultBranch=main init -q . &&
    git add . &&
    git -c user.name=Tester -c user.email=tester@example.invalid commit -q -m "first commit" &&
    git log --format="%H %s" &&
    git status --porcelain
' || exit 1
