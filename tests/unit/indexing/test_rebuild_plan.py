"""``plan_rebuild``: what ``ingest --rebuild`` embeds again, read from the catalog before
anything is deleted (issue 20: it used to keep only the folders given)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.indexing.rebuild import RebuildRefused, plan_rebuild
from assistant.settings import Settings
from assistant.storage.catalog import Catalog
from assistant.storage.faults import Faults


def _settings(tmp_path: Path, bound: dict[str, Path]) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    path = Faults.of(settings).catalog
    path.parent.mkdir(parents=True)
    catalog = Catalog(path)
    for name, folder in bound.items():
        catalog.bind_source(name, str(folder.resolve()))
    catalog.close()
    return settings


def _dirs(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        (tmp_path / name).mkdir()
        out.append(tmp_path / name)
    return out


def test_every_recorded_folder_is_planned_and_a_given_one_only_once(tmp_path: Path) -> None:
    corpus, feeds, uploads = _dirs(tmp_path, "corpus", "feeds", "uploads")
    settings = _settings(tmp_path, {"corpus": corpus, "wire": feeds, "uploads": uploads})
    plan = plan_rebuild(settings, [corpus])
    assert plan.folders == [
        ("corpus", corpus.resolve()),
        ("wire", feeds.resolve()),
        ("uploads", uploads.resolve()),
    ]
    assert plan.paths == []  # corpus/ is recorded: rebuilt under its own name, once


def test_a_gone_folder_refuses_with_the_command_and_drop_or_a_new_place_goes_on(
    tmp_path: Path,
) -> None:
    corpus, feeds, moved = _dirs(tmp_path, "corpus", "feeds", "moved")
    settings = _settings(tmp_path, {"corpus": corpus, "wire": feeds})
    feeds.rmdir()
    with pytest.raises(RebuildRefused) as info:
        plan_rebuild(settings, [corpus])
    assert f"'wire' (0 documents) from {feeds.resolve()}" in str(info.value)
    assert f"`assistant ingest --rebuild --drop wire {corpus}`" in str(info.value)
    dropped = plan_rebuild(settings, [corpus], drop=["wire"])
    assert dropped.folders == [("corpus", corpus.resolve())]
    assert dropped.notes == ["dropped the source 'wire' (0 documents)"]
    given = plan_rebuild(settings, [moved], source="wire")  # its new place, by name
    assert given.folders == [("corpus", corpus.resolve())] and given.paths == [moved]
