"""summary.py RESULTS_DIR [--durations OUT.json] - the VM lane's figures.

Reads the JUnit files the guest's pytest processes wrote (junit-*.xml) and
prints the counts as one line, `N passed, N failed, N skipped` (errors
count as failed), then the skip reasons and the slowest tests.  With
--durations, writes each test's time (setup + call + teardown) as JSON:
what tests/vm/durations.json holds, the order tests are started in.
"""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

SLOWEST = 6


def nodeid(case):
    """JUnit's classname "test_x" + name -> pytest's "test_x.py::name"."""
    mod = case.get("classname", "").replace(".", "/")
    return f"{mod}.py::{case.get('name')}"


def main(argv):
    res = argv[1]
    out = argv[argv.index("--durations") + 1] if "--durations" in argv \
        else None
    passed = failed = skipped = 0
    times, skips = {}, []
    for f in sorted(glob.glob(os.path.join(res, "junit-*.xml"))):
        try:
            root = ET.parse(f).getroot()
        except (ET.ParseError, OSError):
            continue
        for case in root.iter("testcase"):
            nid = nodeid(case)
            times[nid] = float(case.get("time", 0))
            if case.find("failure") is not None or \
                    case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
                skips.append((nid, case.find("skipped").get("message", "")))
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    for nid, why in skips:
        print(f"  skipped {nid}: {why}")
    for nid, t in sorted(times.items(), key=lambda kv: -kv[1])[:SLOWEST]:
        print(f"  {t:6.1f}s {nid}")
    if out:
        with open(out, "w") as f:
            json.dump({k: round(v, 1) for k, v in sorted(times.items())},
                      f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
