"""Source files by scoped name (issue 20): an upload named like a corpus file is told
apart from it, and a bare file name two sources hold is refused, not one picked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.retrieval.filters import Filters
from assistant.retrieval.source_names import AmbiguousSource, SourceNames, scoped_name

NAME = "000_e3f8f1e00a5f7b14.txt"


def _names(*pairs: tuple[str, str]) -> SourceNames:
    catalog = SimpleNamespace(document_paths=lambda: list(pairs))
    return SourceNames(SimpleNamespace(generation=1, catalog=catalog))


def test_a_scoped_name_filters_only_its_own_source() -> None:
    names = _names(
        (f"corpus:/c/{NAME}", f"corpus/{NAME}"), (f"uploads:/u/{NAME}", f"uploads/{NAME}")
    )
    only = names.resolve(Filters(sources=(f"uploads/{NAME}",)))
    assert only.sources == (f"uploads/{NAME}",)


def test_a_bare_name_two_sources_hold_is_refused_with_their_scoped_names() -> None:
    names = _names(
        (f"corpus:/c/{NAME}", f"corpus/{NAME}"), (f"uploads:/u/{NAME}", f"uploads/{NAME}")
    )
    with pytest.raises(AmbiguousSource) as info:
        names.resolve(Filters(sources=(NAME,)))
    assert info.value.choices == [f"corpus/{NAME}", f"uploads/{NAME}"]


def test_a_bare_name_one_source_holds_is_that_file_and_an_unknown_one_matches_nothing() -> None:
    names = _names((f"corpus:/c/{NAME}", f"corpus/{NAME}"), ("wire:/w/sub/a.txt", "wire/sub/a.txt"))
    assert names.resolve(Filters(sources=(NAME, "sub/a.txt"))).sources == (
        f"corpus/{NAME}",
        "wire/sub/a.txt",
    )
    assert names.resolve(Filters(sources=("nothing.txt",))).sources == ("nothing.txt",)


def test_an_index_from_before_stores_bare_paths_and_shows_them_scoped() -> None:
    names = _names((f"corpus:/c/{NAME}", NAME))
    assert names.resolve(Filters(sources=(f"corpus/{NAME}",))).sources == (NAME,)
    assert scoped_name("corpus/000_e3f8f1e00a5f7b14-r1", NAME) == f"corpus/{NAME}"
    assert scoped_name("uploads/x", "uploads/x.txt") == "uploads/x.txt"
    assert scoped_name("unscoped-id", NAME) == NAME
