"""Run schemathesis's engine on a schema — the phases and checks ``schemathesis run`` runs — and
gather what it found into something a test can assert on and a person can read.

(schemathesis's own pytest plugin builds one test per operation around a schema made at import
time, or through ``from_fixture``, which does not work with pytest 9.2; the engine lets each test
build its app and database first, and reads schemathesis.toml exactly as the CLI does.)
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.specs.openapi.schemas import OpenApiSchema

MAX_BODY_SHOWN = 500


@dataclass(frozen=True)
class Exchange:
    """One request schemathesis sent, and the status it got."""

    phase: str
    operation: str
    """``METHOD /path/{template}``, as the OpenAPI document names the operation."""
    status: int | None


@dataclass
class Outcome:
    seed: int
    failures: dict[str, int] = field(default_factory=dict)
    """A readable account of each distinct failure, with how many times it happened."""
    exchanges: list[Exchange] = field(default_factory=list)

    def statuses(self, operation: str, phase: str | None = None) -> collections.Counter[int]:
        return collections.Counter(
            e.status
            for e in self.exchanges
            if e.operation == operation and e.status is not None and phase in (None, e.phase)
        )

    def report(self) -> str:
        lines = [f"schemathesis found {len(self.failures)} distinct failure(s), seed {self.seed}:"]
        for text, count in self.failures.items():
            lines.append(f"\n--- ({count}x) {text}")
        return "\n".join(lines)


def _label(recorder: ScenarioRecorder, case_id: str) -> str:
    node = recorder.cases.get(case_id)
    return node.value.operation.label if node is not None else recorder.label


def _collect(outcome: Outcome, phase: str, recorder: ScenarioRecorder) -> None:
    for case_id, interaction in recorder.interactions.items():
        status = interaction.response.status_code if interaction.response is not None else None
        outcome.exchanges.append(Exchange(phase, _label(recorder, case_id), status))
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            answer = ""
            if interaction is not None and interaction.response is not None:
                body = (interaction.response.content or b"")[:MAX_BODY_SHOWN]
                answer = (
                    f"\n    -> {interaction.response.status_code} {body.decode(errors='replace')}"
                )
            key = f"[{phase}] {_label(recorder, case_id)}: {check.name}: {failure.title}"
            text = f"{key}\n{failure.message}\n{check.failure_info.code_sample}{answer}"
            # The same failure found again differs only in its data: report it once.
            seen = next((t for t in outcome.failures if t.startswith(key + "\n")), None)
            if seen is None:
                outcome.failures[text] = 1
            else:
                outcome.failures[seen] += 1


def run(schema: OpenApiSchema) -> Outcome:
    """Every enabled phase against ``schema``'s app, every enabled check on every response."""
    outcome = Outcome(seed=schema.config.seed)
    stream: Iterable[events.EngineEvent] = from_schema(schema).execute()
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            _collect(outcome, event.phase.value, event.recorder)
        elif isinstance(event, events.NonFatalError):
            # An exception out of the app (a bug behind a 500) or out of schemathesis itself.
            text = f"[{event.phase}] {event.label}: error: {event.info}"
            key = text.split("\n", 1)[0]
            seen = next((t for t in outcome.failures if t.split("\n", 1)[0] == key), None)
            outcome.failures[seen or text] = outcome.failures.get(seen or text, 0) + 1
        elif isinstance(event, events.FatalError):
            raise event.exception
    return outcome
