"""Was the bar fixed before the results existed? A test plan's timestamped approval.

``aigov approvals sign PLAN --timestamp URL`` stores an RFC 3161 token over the approval's
SSH signature in the approval (``timestamp``). For each gated model whose counting run has
a plan, the gate looks for an approval of the plan *as it is now* (its digest) that is
signed by the approver's key in the allowed-signers file in force and whose token verifies
against the TSA roots in force (both the base's with ``--base``), and compares the
attested time with the run's ``started_at``:

- before it: ``test.bar-timestamped`` (info), "bar fixed in advance (timestamped)";
- not before it, or a token that does not verify: the same rule at medium, saying why.

A plan without a timestamped approval says nothing: timestamps are optional evidence.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from aigov_gate.result import Finding, Severity

if TYPE_CHECKING:
    from aigov_gate.graph import ModelContext
    from aigov_gate.tsp import Attested

RULE = "test.bar-timestamped"


class Signers(Protocol):
    def verify(self, armored: str, message: bytes, who: str, day: Any) -> Any: ...


def check(
    contexts: list[ModelContext],
    roots: list[str],
    files: Mapping[str, bytes],
    signers: Signers | None,
) -> list[Finding]:
    """One finding per gated model whose counting run's plan has a timestamped approval."""
    out = []
    for ctx in contexts:
        run = ctx.run
        plan_name = run.model.spec.test_plan if run is not None else None
        plan = next((p for p in ctx.plans if p.model.metadata.name == plan_name), None)
        if run is None or plan is None:
            continue
        found = _judge(ctx, plan, run, roots, files, signers)
        if found is not None:
            out.append(found)
    return out


def _judge(
    ctx: ModelContext,
    plan: Any,
    run: Any,
    roots: list[str],
    files: Mapping[str, bytes],
    signers: Signers | None,
) -> Finding | None:
    from aigov_gate.signoff.rules import digest

    current = digest(plan.raw.data)
    name = plan.model.metadata.name
    started = run.model.spec.started_at
    problems = []
    for i, approval in enumerate(plan.model.spec.approvals):
        if not approval.timestamp or not approval.signature or approval.digest != current:
            continue
        where = ("spec", "approvals", i, "timestamp")
        try:
            attested = _attest(plan, approval, current, _pems(roots, files), signers)
        except (ValueError, binascii.Error) as exc:
            problems.append((where, f"{approval.approver}'s timestamped approval: {exc}"))
            continue
        when = attested.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        if started is not None and attested.time < started:
            return ctx.finding(
                RULE,
                Severity.INFO,
                f"bar fixed in advance (timestamped): TestPlan {name} approved by "
                f"{approval.approver}, stamped {when} by {attested.tsa}, before the run "
                f"{run.model.metadata.name} started at {started.isoformat()}",
                where,
                "nothing to do",
                plan,
            )
        problems.append(
            (where, f"stamped {when}, not before the run started ({started or 'no started_at'})")
        )
    if not problems:
        return None
    where, why = problems[0]
    return ctx.finding(
        RULE,
        Severity.MEDIUM,
        f"TestPlan {name}: the bar is not shown to be fixed in advance: {why}",
        where,
        "sign the plan with --timestamp before running the tests (timestamps.tsa_roots)",
        plan,
    )


def _attest(
    plan: Any, approval: Any, current: str, roots: list[bytes], signers: Signers | None
) -> Attested:
    """The approval's signature is the approver's, and its token verifies; else raises."""
    from aigov_gate.signoff.sshsig import statement
    from aigov_gate.tsp import verify

    if signers is None:
        raise ValueError("there is no allowed-signers file in force")
    name, who = plan.model.metadata.name, approval.approver
    message = statement(
        "TestPlan", plan.organization, name, current, who, approval.role, approval.date
    )
    signers.verify(approval.signature, message, who, approval.date)
    token = base64.b64decode("".join(approval.timestamp.split()), validate=True)
    return verify(token, approval.signature.strip().encode(), roots)


def _pems(roots: list[str], files: Mapping[str, bytes]) -> list[bytes]:
    missing = [r for r in roots if r not in files]
    if missing:
        raise ValueError(f"the TSA root {missing[0]} (timestamps.tsa_roots) is not there")
    return [files[r] for r in roots]
