"""Allocation-heavy Python: build dicts and lists of strings, dump them to JSON and read them back.
usage: /usr/bin/python3 alloc.py [N]   (N records per round, default 200000)"""
import json
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
total = 0
for rnd in range(3):
    rows = []
    index = {}
    for i in range(n):
        key = "k%d-%d" % (rnd, i)
        row = {"id": i, "name": key, "tags": [str(i % 7), str(i % 11), "t" * (i % 13)],
               "value": i * 0.5}
        rows.append(row)
        index[key] = row
    text = json.dumps(rows)
    back = json.loads(text)
    words = sorted(set(text[j:j + 8] for j in range(0, min(len(text), 2000000), 7)))
    total += len(text) + len(back) + len(words) + len(index)
    del rows, index, back, text, words
print("alloc.py:", total)
