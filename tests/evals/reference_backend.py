"""A model backend double that plays each built-in task's reference (or wrong) call
sequence: it finds the task by its instruction in the conversation and answers with the
next planned call, one a turn, then the task's final answer. It is a ScriptedModel (the
double behind the ``Model`` seam), served over real HTTP by ``model_app`` when needed."""

from __future__ import annotations

from typing import Literal

from rollyard.evals import Task, load_tasks
from rollyard.models import ScriptedCall, ScriptedModel
from rollyard.models._scripted import Reply
from rollyard.wire import Request


def reference_player(
    which: Literal["reference", "wrong"] = "reference", tasks: list[Task] | None = None
) -> ScriptedModel:
    known = tasks or load_tasks("builtin")

    def reply(request: Request) -> Reply:
        first_user = next(m.text for m in request.messages if m.role == "user")
        task = next((t for t in known if t.instruction.strip() in first_user), None)
        if task is None:
            return "I do not know this task."
        plan = task.reference if which == "reference" else task.wrong
        done = sum(1 for m in request.messages if m.role == "tool")
        if done < len(plan):
            return ScriptedCall(plan[done].tool, plan[done].args)
        return task.reference_answer if which == "reference" else task.wrong_answer

    return ScriptedModel(reply, name=f"reference-player:{which}")
