"""Prompt files for generated answers: system text and user template, numbered passages.

Prompts live in ``prompts/`` (``answer_{ko,en}.md``, ``condense_{ko,en}.md``) so they can
be read and changed without touching code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt file: system text, a line ``---``, then the user message template."""

    system: str
    user: str

    @classmethod
    def load(cls, path: Path) -> Prompt:
        """Read a prompt file; raises ValueError when the ``---`` line is missing."""
        text = path.read_text(encoding="utf-8")
        system, sep, user = text.partition("\n---\n")
        if not sep:
            raise ValueError(f"{path}: no '---' line between system text and user template")
        return cls(system.strip(), user.strip())

    def messages(self, **values: str) -> list[tuple[str, str]]:
        """Placeholders are replaced literally: article text may hold any braces."""
        system, user = self.system, self.user
        for key, value in values.items():
            system = system.replace("{" + key + "}", value)
            user = user.replace("{" + key + "}", value)
        return [("system", system), ("user", user)]


def load_prompts(prompts_dir: Path) -> dict[str, Prompt]:
    """The four prompts by name: ``answer_ko``, ``answer_en``, ``condense_ko``, ``condense_en``."""
    return {
        f"{kind}_{lang}": Prompt.load(Path(prompts_dir) / f"{kind}_{lang}.md")
        for kind in ("answer", "condense")
        for lang in ("ko", "en")
    }


def format_passages(docs: Sequence[Document]) -> str:
    """Passages numbered 1..k in rank order; the numbers are the citations' numbers."""
    parts = []
    for n, doc in enumerate(docs, start=1):
        m = doc.metadata
        head = f"[{n}] {m.get('title', '')}".rstrip()
        if m.get("published"):
            head += f" ({m['published']})"
        parts.append(f"{head}\n{doc.page_content.strip()}")
    return "\n\n".join(parts)
