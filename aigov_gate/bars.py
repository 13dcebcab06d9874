"""Bars per model: a change may not lower what a model must reach, whatever its plans are called.

With ``--base``, for every model of the change that the base has, and every metric and
slice key a base TestPlan applies to it, the strictest bar of the base's plans is compared
with the loosest bar any of the change's plans applies to it (``test.threshold-loosened``).
Plans are matched to models as the gate matches them (``applies_to``: names and labels, each
revision with its own Model documents), never by plan name: a renamed plan, a plan
retargeted to a label nothing has, or a looser plan added next to the strict one all count,
whether or not results moved. Changing how a metric is produced (the test's ``command``,
``env``, ``results`` or ``format``) is the same finding. Each needs the sign-off of a
loosened plan (``aigov_gate.signoff.check``), recorded on the change's plan that holds it.

Nothing here does I/O: the base documents are read by ``git.documents_at``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from aigov_gate.documents.testing import MetricRequirement, TestPlan, TestSpecItem
from aigov_gate.graph import Graph
from aigov_gate.references import Checked, is_a
from aigov_gate.result import Finding, Severity

#: (organization, model, metric, slice key)
Key = tuple[str, str, str, str | None]
Producer = tuple[tuple[str, ...] | None, tuple[tuple[str, str], ...], str | None, str]


@dataclass(frozen=True, slots=True)
class Bar:
    """One metric requirement of one test of one plan, as it applies to one model."""

    plan: Checked[TestPlan]
    test_index: int
    test: TestSpecItem
    metric_index: int
    requirement: MetricRequirement

    @property
    def producer(self) -> Producer:
        """How the result is produced: the test's command, env, results and format."""
        test = self.test
        command = tuple(test.command) if test.command is not None else None
        return (command, tuple(sorted(test.env.items())), test.results, test.format)

    @property
    def same(self) -> str:
        """What makes two bars the same bar (sortable: a text)."""
        return repr((self.test.required, self.requirement.model_dump_json(), self.producer))

    def path(self, *more: str | int) -> tuple[str | int, ...]:
        return ("spec", "tests", self.test_index, *more)


def bars(graph: Graph) -> dict[Key, list[Bar]]:
    """Every bar each model of ``graph`` must reach, by model, metric and slice key."""
    out: dict[Key, list[Bar]] = defaultdict(list)
    for model in graph.models:
        org, name = model.organization, model.model.metadata.name
        for plan in graph.model_context(model).plans:
            for i, test in enumerate(plan.model.spec.tests):
                for j, req in enumerate(test.metrics):
                    out[(org, name, req.name, req.slice_key)].append(Bar(plan, i, test, j, req))
    return out


def loosened(graph: Graph, base: Iterable[Checked]) -> list[Finding]:
    """Bars the change lowers, removes or produces differently, compared with the base's."""
    base_graph = Graph(base)
    before, now = bars(base_graph), bars(graph)
    models = {(m.organization, m.model.metadata.name) for m in graph.models}
    out = []
    for key, old in before.items():
        new = now.get(key, [])
        if key[:2] not in models or sorted(b.same for b in old) == sorted(b.same for b in new):
            continue
        found = _lowered(key, old, new, graph, base_graph) if new else _removed(key, old, graph)
        out.extend(found)
        out.extend(_produced(key, old, new))
    return out


def _lowered(key: Key, old: list[Bar], new: list[Bar], graph: Graph, base: Graph) -> list[Finding]:
    """The first bar of the change looser than a bar of the base, if any."""
    for c in new:
        for b in old:
            why = weaker(b, c)
            if why is None:
                continue
            moved = _moved_plan(b, c, graph, base)
            if moved is not None:  # the strict plan went elsewhere; the loose one stayed
                what = f"{key[2]} {why}: {b.plan.model.metadata.name} no longer applies to {key[1]}"
                return [_finding(moved, ("spec", "applies_to"), key, f"{c.test.name}: {what}")]
            where = c.path("required") if "optional" in why else c.path("metrics", c.metric_index)
            return [_finding(c.plan, where, key, f"{c.test.name}: {key[2]} {why}")]
    return []


def _moved_plan(b: Bar, c: Bar, graph: Graph, base: Graph) -> Checked[TestPlan] | None:
    """``b``'s plan as the change has it, when ``c``'s plan is as it was at the base: the
    strict plan was edited or retargeted and a loose plan that was already there stays."""
    if b.plan.raw.target == c.plan.raw.target:
        return None
    was_c = base.get("TestPlan", c.plan.organization, c.plan.model.metadata.name)
    twin = graph.get("TestPlan", b.plan.organization, b.plan.model.metadata.name)
    if was_c is None or was_c.raw.data != c.plan.raw.data or twin is None:
        return None
    return twin if is_a(twin, TestPlan) else None


def _removed(key: Key, old: list[Bar], graph: Graph) -> list[Finding]:
    """No plan of the change requires the metric: said at the base's plan, if it is still
    there, else at a plan the model still has (none: ``test.no-plan`` says it)."""
    b = old[0]
    twin = graph.get("TestPlan", b.plan.organization, b.plan.model.metadata.name)
    model = next(m for m in graph.models if (m.organization, m.model.metadata.name) == key[:2])
    plans = [twin] if twin is not None and isinstance(twin.model, TestPlan) else []
    plans += graph.model_context(model).plans
    if not plans:
        return []
    sliced = f" (slice key {key[3]})" if key[3] else ""
    what = f"{b.test.name}: metric {key[2]}{sliced} removed: no plan requires it of {key[1]}"
    return [_finding(plans[0], ("spec", "tests"), key, what)]


def _produced(key: Key, old: list[Bar], new: list[Bar]) -> list[Finding]:
    """A bar of the change whose result is produced in a way no base bar was."""
    known = {b.producer for b in old}
    for c in new:
        if c.producer not in known:
            b = old[0]
            fields = [
                name
                for name, was, now in zip(
                    ("command", "env", "results", "format"), b.producer, c.producer, strict=True
                )
                if was != now
            ]
            where = c.path(fields[0]) if fields[0] in c.test.model_fields_set else c.path()
            what = f"{c.test.name}: how {key[2]} is produced changed ({', '.join(fields)})"
            return [_finding(c.plan, where, key, what)]
    return []


def weaker(old: Bar, new: Bar) -> str | None:
    """How ``new`` is easier to pass than ``old`` (None when it is not)."""
    if old.test.required and not new.test.required:
        return f"'{new.test.name}' made optional"
    return looser(old.requirement, new.requirement)


def looser(old: MetricRequirement, new: MetricRequirement) -> str | None:
    """How requirement ``new`` is easier to pass than ``old`` (None when it is not)."""
    return _bar(old, new) or _limits(old, new)


def _bar(old: MetricRequirement, new: MetricRequirement) -> str | None:
    op = new.operator
    if op != old.operator:
        return f"operator {old.operator} -> {op}"
    if op == "between":
        lo, hi = old.range or (0.0, 0.0)
        nlo, nhi = new.range or (0.0, 0.0)
        return f"range [{lo:g}, {hi:g}] -> [{nlo:g}, {nhi:g}]" if nlo < lo or nhi > hi else None
    was, now = old.threshold or 0.0, new.threshold or 0.0
    easier = {">=": now < was, ">": now < was, "<=": now > was, "<": now > was, "==": now != was}
    return f"threshold {op} {was:g} -> {op} {now:g}" if easier[op] else None


def _limits(old: MetricRequirement, new: MetricRequirement) -> str | None:
    was, now = old.max_disparity, new.max_disparity
    if was is not None and now is None:
        return f"max_disparity {was.measure} {was.limit:g} removed"
    if was is not None and now is not None and now.measure != was.measure:
        return f"max_disparity {was.measure} -> {now.measure}"
    if was is not None and now is not None:
        easier = now.limit < was.limit if was.measure == "ratio" else now.limit > was.limit
        if easier:
            return f"max_disparity {was.measure} {was.limit:g} -> {now.limit:g}"
    if old.max_regression is not None and new.max_regression is None:
        return f"max_regression {old.max_regression:g} removed"
    if old.max_regression is not None and (new.max_regression or 0.0) > old.max_regression:
        return f"max_regression {old.max_regression:g} -> {new.max_regression:g}"
    dropped = [v for v in old.slices if v not in new.slices]
    return f"slices {old.slice_key}={','.join(dropped)} no longer required" if dropped else None


def _finding(plan: Checked, path: tuple[str | int, ...], key: Key, what: str) -> Finding:
    return Finding(
        "test.threshold-loosened",
        Severity.HIGH,
        f"{plan.model.metadata.name} lowers the bar {key[1]} must reach",
        plan.raw.locate(path),
        plan.raw.target,
        "restore the bar, or have a risk approver sign the plan change off (on the pull "
        "request, or 'aigov approvals sign PLAN'); better: land plan changes on their own",
        details=(
            f"loosened: {what}",
            "the bar is set by the base's reviewed plans, not by the change judged against it",
        ),
    )


__all__ = ["Bar", "bars", "loosened", "looser", "weaker"]
