"""The public surface is pinned: adding or removing a name is a decision, not an accident."""

from __future__ import annotations

import assistant

PUBLIC = [
    "Answer",
    "AnswerRequest",
    "Answerer",
    "Article",
    "AskOptions",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "Filters",
    "Fusion",
    "IndexMismatch",
    "IngestReport",
    "LLMError",
    "ModelPreparationError",
    "Settings",
    "Span",
    "StoreUnavailable",
    "UnreadableFile",
    "configure_logging",
    "configure_threads",
]


def test_all_is_pinned() -> None:
    assert sorted(assistant.__all__) == sorted(PUBLIC)


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in assistant.__all__:
        obj = getattr(assistant, name)
        assert obj.__doc__ and obj.__doc__.strip(), f"{name} has no docstring"


def test_unknown_names_raise_attribute_error() -> None:
    try:
        assistant.NotAThing  # noqa: B018
    except AttributeError as exc:
        assert "NotAThing" in str(exc)
    else:
        raise AssertionError("assistant.NotAThing resolved")
