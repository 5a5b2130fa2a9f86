#!/usr/bin/env python3
"""classes.py SCANNER — per-class recall and precision of SCANNER (a harvest-scan binary) on the
per-class fixtures (scanner/tests/fixtures/classes/<class>/<lang>/ against <lang>.expect, the
findings each tree must give: path, line, kind, route). Run from anywhere; used to compare an
older build with the current one (the fixtures were written with the mechanisms they test, so
the current build meets them by construction: tests/classes.rs asserts it)."""
import json, subprocess, sys, os
binary = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "classes")
tot = {"tp": 0, "fn": 0, "fp": 0}
per = {}
for cls in sorted(os.listdir(root)):
    if not os.path.isdir(os.path.join(root, cls)): continue
    for lang in sorted(os.listdir(os.path.join(root, cls))):
        d = os.path.join(root, cls, lang)
        if not os.path.isdir(d): continue
        want = set()
        for l in open(d + ".expect"):
            l = l.strip()
            if not l or l.startswith("#"): continue
            parts = l.split(" ", 2)
            path, line = parts[0].rsplit(":", 1)
            want.add((path, int(line), parts[1], parts[2] if len(parts) > 2 else None))
        out = subprocess.run(binary.split() + ["--format", "json", d], capture_output=True, text=True).stdout
        got = set((f["path"], f["line"], f["kind"], f.get("legacy_route")) for f in json.loads(out)["findings"])
        tp, fn, fp = len(want & got), len(want - got), len(got - want)
        c = per.setdefault(cls, [0, 0, 0]); c[0] += tp; c[1] += fn; c[2] += fp
        tot["tp"] += tp; tot["fn"] += fn; tot["fp"] += fp
for cls, (tp, fn, fp) in per.items():
    print(f"{cls:16} recall {tp/(tp+fn):.3f} ({tp}/{tp+fn})  precision {tp/max(1,tp+fp):.3f} ({tp}/{tp+fp})")
t = tot
print(f"{'all':16} recall {t['tp']/(t['tp']+t['fn']):.3f} ({t['tp']}/{t['tp']+t['fn']})  precision {t['tp']/(t['tp']+t['fp']):.3f} ({t['tp']}/{t['tp']+t['fp']})")
