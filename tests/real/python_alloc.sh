# python3 running an allocation-heavy script (dicts, lists, strings, sorting, json) under memplumber.
. "$(dirname "$0")/_lib.sh"
need "$PYTHON"
cat >"$WORK/alloc.py" <<'PY'
import json
rows = [{'id': i, 'name': 'item-%d' % i, 'tags': [str(i % 7), str(i % 11)]} for i in range(60000)]
index = {}
for r in rows:
    index.setdefault(r['tags'][0], []).append(r['id'])
text = json.dumps(rows[:5000])
back = json.loads(text)
words = sorted(('w%05d' % ((i * 7919) % 50000)) for i in range(50000))
chunks = [bytes(range(256)) * (i % 8 + 1) for i in range(5000)]
print(len(rows), len(index), len(back), words[0], words[-1], sum(map(len, chunks)))
print(sum(len(v) for v in index.values()))
PY
compare_run python_alloc "$PYTHON" "$WORK/alloc.py" || exit 1
