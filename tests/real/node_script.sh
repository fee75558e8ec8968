# node (V8, libuv threads, an OpenSSL of its own whose symbols it exports) running a script that
# allocates and sets its own exit status. The report is written inside node at its exit: nothing
# memplumber loads then may bind to node's exports (libdebuginfod's libcurl did: SIGSEGV).
. "$(dirname "$0")/_lib.sh"
need node
cat >"$WORK/alloc.js" <<'JS'
const rows = [];
for (let i = 0; i < 100000; i++) rows.push({ id: i, name: 'item-' + i, tags: [i % 7, i % 11] });
const text = JSON.stringify(rows.slice(0, 5000));
console.log(rows.length, JSON.parse(text).length);
process.exitCode = 4;
JS
compare_run node_script node "$WORK/alloc.js" || exit 1
