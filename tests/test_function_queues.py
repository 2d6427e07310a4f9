"""A function's queue triggers as Lambda accepts them: a batching window wherever a batch is over 10
messages (CreateEventSourceMapping, MaximumBatchingWindowInSeconds), and a queue that hides a
message at least as long as the function may run on it (else InvalidParameterValueException
"Queue visibility timeout: … is less than Function timeout")."""

from __future__ import annotations

from pathlib import Path

import pytest

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import definition_error, render_definition_text

DEFINITION = """
environments:
  dev: {{}}
services:
  mailer: {{kind: worker{queue}}}
functions:
  skill:
    source: fn
    runtime: python3.12
    handler: app.handler
    timeout: {timeout}
    triggers:
{triggers}
"""


def definition(triggers: list[str], *, timeout: int = 30, queue: str = "") -> str:
    return DEFINITION.format(
        timeout=timeout, queue=queue, triggers="".join(f"      - {t}\n" for t in triggers)
    )


def render(tmp_path: Path, text: str) -> Rendering:
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return render_definition_text(tmp_path, text, ["dev"])


def queue_of(rendering: Rendering, arn: str) -> dict:
    return next(q.inputs for q in rendering.of_type("aws:sqs/queue:Queue") if q.state["arn"] == arn)


def assert_lambda_accepts_every_queue_trigger(rendering: Rendering) -> None:
    """The rule, over the rendered graph: every SQS trigger's batch and queue as AWS checks them."""
    functions = {f.inputs["name"]: f.inputs for f in rendering.of_type("aws:lambda/function:Function")}
    aliases = {a.state["arn"]: a.inputs for a in rendering.of_type("aws:lambda/alias:Alias")}
    mappings = rendering.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mappings
    for mapping in mappings:
        inputs = mapping.inputs
        if inputs["batchSize"] > 10:
            assert inputs.get("maximumBatchingWindowInSeconds", 0) >= 1, mapping.name
        function = functions[aliases[inputs["functionName"]]["functionName"]]
        queue = queue_of(rendering, inputs["eventSourceArn"])
        assert queue.get("visibilityTimeoutSeconds", 30) >= function["timeout"], mapping.name


def test_a_batch_over_ten_gets_a_batching_window(tmp_path: Path) -> None:
    rendering = render(
        tmp_path,
        definition(
            [
                "{type: queue, worker: mailer, batchSize: 100}",
                "{type: queue, batchSize: 500, batchWindow: 20}",
            ]
        ),
    )
    mappings = {
        m.name: m.inputs for m in rendering.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    }
    assert mappings["dev-skill-queue-0"]["batchSize"] == 100
    assert mappings["dev-skill-queue-0"]["maximumBatchingWindowInSeconds"] == 1
    assert (
        mappings["dev-skill-queue-1"]["batchSize"],
        mappings["dev-skill-queue-1"]["maximumBatchingWindowInSeconds"],
    ) == (500, 20)
    # The own queue hides a message six timeouts plus the window (AWS's advice for SQS triggers).
    own = rendering.one("aws:sqs/queue:Queue", "dev-skill-queue").inputs
    assert own["visibilityTimeoutSeconds"] == 6 * 30 + 20
    assert_lambda_accepts_every_queue_trigger(rendering)


def test_a_batch_of_ten_or_less_leaves_the_window_to_lambda(tmp_path: Path) -> None:
    rendering = render(
        tmp_path, definition(["{type: queue, worker: mailer, batchSize: 10}", "{type: queue}"])
    )
    for mapping in rendering.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        assert "maximumBatchingWindowInSeconds" not in mapping.inputs
    assert rendering.one("aws:sqs/queue:Queue", "dev-skill-queue").inputs["visibilityTimeoutSeconds"] == 180
    assert_lambda_accepts_every_queue_trigger(rendering)


def test_the_longest_function_fits_its_own_queue(tmp_path: Path) -> None:
    rendering = render(
        tmp_path,
        definition(
            ["{type: queue, worker: mailer}", "{type: queue, batchSize: 10000, batchWindow: 300}"],
            timeout=900,
            queue=", queue: {visibilityTimeout: 900}",
        ),
    )
    assert_lambda_accepts_every_queue_trigger(rendering)


def test_a_batch_over_ten_without_a_window_is_refused_in_one_line() -> None:
    message = definition_error(definition(["{type: queue, batchSize: 11, batchWindow: 0}"]))
    assert "functions.skill.triggers[0].batchWindow: a batchSize over 10 (11) needs a batchWindow" in message


def test_a_function_outlasting_its_workers_queue_visibility_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        render(tmp_path, definition(["{type: queue, worker: mailer}"], timeout=120))
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon.yaml: functions.skill.timeout: 120 seconds is longer than the visibility timeout of its "
        "trigger's queue (services.mailer.queue.visibilityTimeout: 60); Lambda refuses the trigger: raise "
        "the visibility timeout (six times the function's timeout is AWS's advice) or shorten the timeout"
    )
    # Raised to the function's timeout, the same definition renders.
    rendering = render(
        tmp_path,
        definition(["{type: queue, worker: mailer}"], timeout=120, queue=", queue: {visibilityTimeout: 120}"),
    )
    assert_lambda_accepts_every_queue_trigger(rendering)
