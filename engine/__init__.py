"""The generic workflow engine. No Flask, no SQLAlchemy, no I/O beyond reading definitions.

It loads and checks workflow YAML, compiles each version once (conditions, validators, state
machines) and runs submissions as pure functions from state to state. See engine/README.md.
"""

from engine.bundle import Bundle
from engine.compiler import compile_bundle, condition_env
from engine.definitions import ChoiceSource, Form, HostCheck, Shown, Step, Text, Workflow
from engine.errors import EngineError, ExpressionError, FieldError, Message, YamlError
from engine.loading import LoadResult, load_definitions
from engine.report import Problem, Report
from engine.review import ReviewLine, ReviewSection, review
from engine.runtime import (
    ActionRefused,
    Context,
    Effect,
    NotAvailable,
    Outcome,
    StepInvalid,
    choices,
    host_check_failed,
    member_actions,
    path,
    planned_path,
    prefill_params,
    scope_of,
    shown,
    unavailable,
    unique_value,
)
from engine.state import SubmissionState

__all__ = [
    "ActionRefused", "Bundle", "ChoiceSource", "Context", "Effect", "EngineError",
    "ExpressionError", "FieldError", "Form", "HostCheck", "LoadResult", "Message",
    "NotAvailable", "Outcome", "Problem", "Report", "ReviewLine", "ReviewSection", "Shown",
    "Step", "StepInvalid", "SubmissionState", "Text", "Workflow", "YamlError", "choices",
    "compile_bundle", "condition_env", "host_check_failed", "load_definitions",
    "member_actions", "path", "planned_path", "review", "scope_of", "shown", "unavailable",
    "prefill_params", "unique_value",
]
