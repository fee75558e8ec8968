#!/usr/bin/env bash
# The symbol cache (--symbol-cache, src/report/symcache.c): a leak allocated through libc's strdup,
# with libc's separate debug file installed (libc6-dbg), is reported with the same frames whether
# libc's debug information is read or the cache is; the cache file is created on the first run and
# read on the next (a name edited in the file shows up in the report); a cache whose stamp no longer
# matches the debug file, or that is garbage, is ignored and rewritten; --symbol-cache=no writes
# nothing; a relative directory is refused before the program starts.
# Exit 0 = pass, 1 = fail, 77 = skipped (gcc, python3, readelf or libc's debug file missing).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v gcc >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
command -v readelf >/dev/null || exit 77
[ -x "$root/build/memplumber" ] || exit 77
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.c" <<'SRC'
#include <stdlib.h>
#include <string.h>
char *volatile keep;
__attribute__((noinline)) void make(void) { keep = strdup("hello, cache"); }
int main(void) { make(); keep = 0; return 0; }
SRC
gcc -O1 -g "$tmp/prog.c" -o "$tmp/prog" || exit 1
libc=$(ldd "$tmp/prog" | awk '/libc\.so/ {print $3}')
id=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ {print $3}')
[ -n "$id" ] && [ -f "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ] || {
    echo "no separate debug file for $libc (libc6-dbg not installed)"
    exit 77
}
cache="$tmp/cache"
file="$cache/$id.sym"
fail=0

# run NAME [memplumber options...]: the strdup record's frames, one per line, into $tmp/NAME.txt
run() {
    local name=$1
    shift
    "$root/build/memplumber" "$@" --json "$tmp/$name.json" -- "$tmp/prog" 2>"$tmp/$name.err"
    python3 - "$tmp/$name.json" >"$tmp/$name.txt" <<'PY' || { echo "$name: $(cat "$tmp/$name.txt")"; fail=1; }
import json, sys
r = json.load(open(sys.argv[1]))
recs = [l for l in r["leaks"] if l["bytes"] == 13]
if not recs:
    print("no 13-byte record in the report")
    sys.exit(1)
for f in recs[0]["stack"]:
    print("%s %s:%s" % (f.get("function"), f.get("file"), f.get("line")))
PY
}

run cold --symbol-cache="$cache"
if ! head -1 "$tmp/cold.txt" | grep -q '^strdup .*strdup\.c:[0-9]'; then
    echo "cold run: the innermost frame is not strdup with its libc source line:"
    cat "$tmp/cold.txt"
    fail=1
fi
[ -f "$file" ] || { echo "no cache file $file after the first run"; fail=1; }

run nocache --symbol-cache=no
cmp -s "$tmp/cold.txt" "$tmp/nocache.txt" || { echo "frames differ with the cache off:"; diff "$tmp/cold.txt" "$tmp/nocache.txt"; fail=1; }

run warm --symbol-cache="$cache"
cmp -s "$tmp/cold.txt" "$tmp/warm.txt" || { echo "frames read from the cache differ:"; diff "$tmp/cold.txt" "$tmp/warm.txt"; fail=1; }

# the report really reads the file: an edited name shows up
sed -i 's/\t=strdup\t/\t=strdup_from_the_cache\t/' "$file"
grep -q 'strdup_from_the_cache' "$file" || { echo "cache file has no strdup entry:"; cat "$file"; fail=1; }
run edited --symbol-cache="$cache"
head -1 "$tmp/edited.txt" | grep -q '^strdup_from_the_cache ' || { echo "the edited cache entry was not used:"; cat "$tmp/edited.txt"; fail=1; }

# a stamp that no longer matches libc's debug file: ignored, and the file is rewritten
python3 - "$file" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
w = lines[0].split(" ")
w[4] = str(int(w[4]) + 1)            # the debug file's size
lines[0] = " ".join(w)
open(sys.argv[1], "w").write("\n".join(lines))
PY
run stale --symbol-cache="$cache"
cmp -s "$tmp/cold.txt" "$tmp/stale.txt" || { echo "a stale cache was used:"; diff "$tmp/cold.txt" "$tmp/stale.txt"; fail=1; }
grep -q 'strdup_from_the_cache' "$file" && { echo "the stale cache file was not rewritten"; fail=1; }

# garbage in the file: ignored
head -c 3000 /dev/urandom >"$file"
run garbage --symbol-cache="$cache"
cmp -s "$tmp/cold.txt" "$tmp/garbage.txt" || { echo "a garbage cache file changed the frames:"; diff "$tmp/cold.txt" "$tmp/garbage.txt"; fail=1; }
head -c 26 "$file" | grep -q '^memplumber symbol cache 3' || { echo "the garbage cache file was not rewritten"; fail=1; }

# off: nothing written, not even in the default directory
mkdir -p "$tmp/empty"
HOME="$tmp/empty" XDG_CACHE_HOME= "$root/build/memplumber" --symbol-cache=no -- "$tmp/prog" 2>/dev/null
[ -z "$(find "$tmp/empty" -type f)" ] || { echo "--symbol-cache=no wrote files: $(find "$tmp/empty" -type f)"; fail=1; }

# the default directory: $XDG_CACHE_HOME/memplumber
XDG_CACHE_HOME="$tmp/xdg" "$root/build/memplumber" -- "$tmp/prog" 2>/dev/null
[ -f "$tmp/xdg/memplumber/$id.sym" ] || { echo "no cache in \$XDG_CACHE_HOME/memplumber"; fail=1; }

# a relative directory is refused before the program starts
out=$("$root/build/memplumber" --symbol-cache=rel/dir -- /bin/echo started 2>&1)
rc=$?
if [ $rc -eq 0 ] || echo "$out" | grep -q '^started' || ! echo "$out" | grep -q "symbol_cache"; then
    echo "--symbol-cache=rel/dir: status $rc, output: $out"
    fail=1
fi

cat "$tmp/cold.txt"
exit $fail
