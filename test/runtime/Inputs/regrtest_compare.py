"""Compares two `python -m test --junit-xml` reports: every test case that
passed in REFERENCE must pass in CANDIDATE, except those named in the
expected-difference file (one test id a line; `#` comments). Prints one line
per regression and a summary; exit status 1 on any regression, or if an
expected difference no longer differs (the list must stay minimal).

usage: regrtest_compare.py REFERENCE.xml CANDIDATE.xml EXPECTED.txt
"""
import sys
import xml.etree.ElementTree as ET


def outcomes(path):
    """{test id: 'pass' | 'skip' | 'fail'}; a test reported more than once
    (subtests, errors in cleanups) fails if any report does."""
    result = {}
    for case in ET.parse(path).iter("testcase"):
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            outcome = "fail"
        elif "skipped" in kinds:
            outcome = "skip"
        else:
            outcome = "pass"
        if result.get(case.get("name")) != "fail":
            result[case.get("name")] = outcome
    return result


def expected_differences(path):
    with open(path, encoding="utf-8") as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return {line for line in lines if line}


def main():
    reference, candidate = outcomes(sys.argv[1]), outcomes(sys.argv[2])
    expected = expected_differences(sys.argv[3])
    passed = sorted(t for t, o in reference.items() if o == "pass")
    regressions, confirmed = [], set()
    for test in passed:
        outcome = candidate.get(test, "missing")
        if outcome == "pass":
            continue
        if test in expected:
            confirmed.add(test)
        else:
            regressions.append(test)
            print(f"REGRESSION: {test}: passes in the reference, "
                  f"{outcome} in the program")
    for test in sorted(expected - confirmed):
        print(f"STALE: {test}: listed as an expected difference, but it "
              f"does not differ")
    print(f"reference passed {len(passed)}; program passed "
          f"{sum(o == 'pass' for o in candidate.values())}; "
          f"expected differences {len(confirmed)}; "
          f"regressions {len(regressions)}")
    return 1 if regressions or expected - confirmed else 0


if __name__ == "__main__":
    sys.exit(main())
