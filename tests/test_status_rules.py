"""Every rule of clause status derivation, one case each (docs/compliance.md, "Status").

The derivation takes plain data (``Basis`` values: what counts toward a clause and how it
came out), so each rule is tested on its own here; test_compliance.py tests the same rules
end to end on repositories. These are the cases the mutation sample of
compliance/status.py showed nothing else would catch.
"""

from __future__ import annotations

import pytest

from aigov_gate.compliance.status import _overclaims, _rollup, _status
from aigov_gate.result import Basis, ClauseStatus


def basis(outcome: str, mapping_type: str = "direct", via: str = "") -> Basis:
    return Basis("rule", f"r-{outcome}", outcome, f"it {outcome}", "", mapping_type, via)


def leaf(number: str, status: str) -> ClauseStatus:
    return ClauseStatus(number, number, status, "")


def test_nothing_mapped_is_not_assessed() -> None:
    assert _status([]) == ("not_assessed", "no policy, check, mapping or crosswalk covers it")


def test_only_bases_that_did_not_apply_is_not_assessed() -> None:
    assert _status([basis("not_evaluated")])[0] == "not_assessed"


@pytest.mark.parametrize("lost", ["stale", "missing"])
def test_evidence_that_would_prove_it_but_is_lost_is_non_compliant(lost: str) -> None:
    status, reason = _status([basis(lost)])
    assert status == "non_compliant"
    assert reason == f"nothing that would prove it counts: rule r-{lost} it {lost}"


def test_a_failed_direct_basis_is_non_compliant() -> None:
    status, reason = _status([basis("passed"), basis("failed")])
    assert (status, reason) == ("non_compliant", "rule r-failed failed: it failed")


def test_a_failed_partial_basis_only_makes_it_partial() -> None:
    status, _ = _status([basis("passed"), basis("failed", "partial")])
    assert status == "partially_compliant"


def test_all_direct_bases_passed_is_compliant() -> None:
    status, reason = _status([basis("passed"), basis("passed")])
    assert status == "compliant" and reason.startswith("2 passed (rule r-passed")


def test_a_waived_basis_keeps_it_partial() -> None:
    status, reason = _status([basis("passed"), basis("waived")])
    assert (status, reason) == ("partially_compliant", "rule r-waived waived: it waived")


def test_a_lost_direct_basis_beside_passed_ones_keeps_it_partial() -> None:
    status, _ = _status([basis("passed"), basis("stale")])
    assert status == "partially_compliant"


def test_only_crosswalk_or_supporting_bases_is_partial_at_best() -> None:
    crosswalk = basis("passed", via="crosswalk nist-ai-rmf:MAP 1.1")
    status, reason = _status([crosswalk])
    assert status == "partially_compliant"
    assert reason.startswith("only partial, supporting or crosswalk bases passed")
    assert _status([basis("passed", "supporting")])[0] == "partially_compliant"


def test_a_lost_crosswalk_beside_a_passed_direct_basis_is_compliant() -> None:
    lost = basis("stale", via="crosswalk nist-ai-rmf:MAP 1.1")
    assert _status([basis("passed"), lost])[0] == "compliant"


# -- parents from their parts -----------------------------------------------------------


def test_a_parent_is_compliant_only_when_every_applicable_part_is() -> None:
    parts = [leaf("1(a)", "compliant"), leaf("1(b)", "compliant"), leaf("1(c)", "not_applicable")]
    assert _rollup(parts) == ("compliant", "all 2 applicable parts compliant")
    one_short = [leaf("1(a)", "compliant"), leaf("1(b)", "not_assessed")]
    assert _rollup(one_short) == ("partially_compliant", "1 of 2 applicable parts compliant")


def test_one_non_compliant_part_makes_the_parent_non_compliant() -> None:
    parts = [leaf("1(a)", "compliant"), leaf("1(b)", "non_compliant"), leaf("1(c)", "compliant")]
    assert _rollup(parts) == ("non_compliant", "non-compliant parts: 1(b)")


def test_no_applicable_part_and_no_assessed_part() -> None:
    assert _rollup([leaf("1(a)", "not_applicable")]) == (
        "not_applicable",
        "none of its parts applies",
    )
    assert _rollup([leaf("1(a)", "not_assessed"), leaf("1(b)", "not_assessed")]) == (
        "not_assessed",
        "none of its 2 applicable parts is assessed",
    )


# -- declared against derived -------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "derived", "over"),
    [
        ("not_applicable", "compliant", True),  # declaring a clause away is never taken on trust
        ("not_applicable", "non_compliant", True),
        ("compliant", "not_applicable", False),
        ("compliant", "partially_compliant", True),
        ("partially_compliant", "non_compliant", True),
        ("partially_compliant", "compliant", False),
        ("non_compliant", "partially_compliant", False),
        ("compliant", "not_assessed", True),
    ],
)
def test_what_counts_as_overclaiming(declared: str, derived: str, over: bool) -> None:
    assert _overclaims(declared, derived) is over
