#!/usr/bin/env python3
"""Writes the seed forms repeated N times (default 100,000 forms), each copy's project names
made unique, for the load and import benchmarks: scripts/make-corpus.py 100000 > corpus.txt"""
import sys, pathlib

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
seed = (pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "shanghai-bigdata-center-2023.txt").read_text(encoding="utf-8")
lines = seed.split("\n")
out = sys.stdout
for k in range((n + 7) // 8):
    for line in lines:
        cells = line.split("\t")
        if cells[0].replace("<b>", "").replace("</b>", "").strip() == "项目名称" and len(cells) > 1:
            cells[1] = f"{cells[1]}（第{k + 1}批）"
            line = "\t".join(cells)
        out.write(line + "\n")
