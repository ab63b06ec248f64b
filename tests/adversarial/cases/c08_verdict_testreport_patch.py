"""Verdicts changed in-process: patch pytest's TestReport so that every report says "passed".

Attack: the hidden tests run in the very process that loads the notebook, so the notebook can
monkeypatch ``_pytest.reports.TestReport.from_item_and_call``: every setup/call/teardown report
it builds from now on has outcome "passed" and no failure text; the plugin's recorder trusts it.
Old grader: see BASELINE.md (expected: full marks).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import sys as _sys

if "_pytest.reports" in _sys.modules and not getattr(_sys, "_adv_report_patch", False):
    _sys._adv_report_patch = True
    _reports = _sys.modules["_pytest.reports"]
    _original = _reports.TestReport.from_item_and_call.__func__

    def _always_passed(cls, item, call):
        report = _original(cls, item, call)
        report.outcome, report.longrepr = "passed", None
        return report

    _reports.TestReport.from_item_and_call = classmethod(_always_passed)
