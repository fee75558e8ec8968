# ldd (and any exec with LD_TRACE_LOADED_OBJECTS set) lists the same libraries under memplumber:
# the dynamic loader runs none of their code then, and libmemplumber.so, in LD_PRELOAD, must not
# show up as one more line of the list (scripts and packaging tools parse it). A library the user
# preloaded stays in the list. Load addresses differ from run to run and are taken out.
. "$(dirname "$0")/_lib.sh"
need ldd
need env
need sed
[ -x /bin/true ] || skip "/bin/true is missing"
# A library of the user's own in LD_PRELOAD: one that defines no malloc (libz), after ours.
EXTRA=
for f in /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libz.so.1 /lib64/libz.so.1 /usr/lib64/libz.so.1; do
    [ -e "$f" ] && { EXTRA=$f; break; }
done
[ -n "$EXTRA" ] || skip "no libz.so.1 to preload"
compare_run ldd_list bash -c '
    ldd /bin/true | sed -E "s/ \(0x[0-9a-f]+\)//"
    env LD_TRACE_LOADED_OBJECTS=1 /bin/true | sed -E "s/ \(0x[0-9a-f]+\)//"
    LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$0" ldd /bin/true | sed -E "s/ \(0x[0-9a-f]+\)//"
' "$EXTRA" || exit 1
# The same through posix_spawn (glibc's child execs without the exported exec functions).
command -v "$PYTHON" >/dev/null 2>&1 || exit 0
compare_run ldd_spawn "$PYTHON" -c '
import os, re
env = dict(os.environ, LD_TRACE_LOADED_OBJECTS="1")
r, w = os.pipe()
pid = os.posix_spawn("/bin/true", ["/bin/true"], env, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
os.close(w)
out = b""
while True:
    b = os.read(r, 65536)
    if not b:
        break
    out += b
os.waitpid(pid, 0)
print(re.sub(r" \(0x[0-9a-f]+\)", "", out.decode()), end="")
' || exit 1
