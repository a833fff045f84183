#!/usr/bin/env python3
"""Streams N forms (default 1,000,000) in the JSON exchange format to standard output, for the
import benchmark: copies of the forms in TEMPLATE (an export: jixiao export --format json), each
copy's project name made unique, IDs left for the store to give.
    scripts/make-json-corpus.py TEMPLATE.json 1000000 | jixiao --db X import -"""
import json, sys

template = json.load(open(sys.argv[1], encoding="utf-8"))["forms"]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
for f in template:
    f["id"] = None
    for i in f["indicators"]:
        i["id"] = None
# Each form as text once, its name swapped per copy: the generator keeps pace with the import.
parts = []
for f in template:
    name = f["name"]
    f["name"] = "\u0000"
    text = json.dumps(f, ensure_ascii=False, separators=(",", ":"))
    before, after = text.split('"\\u0000"')
    parts.append((before, after, name))
out = sys.stdout
out.write('{"forms":[')
for k in range(n):
    before, after, name = parts[k % len(parts)]
    if k:
        out.write(",")
    out.write(before + json.dumps(f"{name}（第{k // len(parts) + 1}批）", ensure_ascii=False) + after)
out.write("]}\n")
