#!/usr/bin/env python3
"""Walks the whole list by keyset cursor (`next`), 50 forms a page, and prints every page's
cursor, one a line: the pages a load benchmark then asks for at random (scripts/bench-list.lua).
    scripts/bench-cursors.py BASE TOKEN > cursors.txt"""
import json, sys, urllib.parse, urllib.request

base, token = sys.argv[1:3]
cursor = None
while True:
    path = "/api/forms?per_page=50" + ("&after=" + urllib.parse.quote(cursor) if cursor else "")
    req = urllib.request.Request(base + path, headers={"authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        cursor = json.load(r)["next"]
    if not cursor:
        break
    print(cursor)
