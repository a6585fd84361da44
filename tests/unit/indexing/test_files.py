"""Finding article files and decoding their bytes: UTF-8, BOM, CP949, EUC-KR, binary."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from assistant.errors import UnreadableFile
from assistant.indexing.files import decode, find_files

TEXT = "북한은 4일 극초음속 미사일을 시험 발사했다."


def test_utf8_bom_and_cp949_decode_to_the_same_text() -> None:
    assert decode(TEXT.encode("utf-8")) == TEXT
    assert decode(b"\xef\xbb\xbf" + TEXT.encode("utf-8")) == TEXT
    assert decode(TEXT.encode("cp949")) == TEXT
    assert decode(TEXT.encode("euc-kr")) == TEXT


def test_cp949_only_syllables_decode() -> None:
    # 똠 and 햏 are outside EUC-KR's 2,350 syllables; Windows writes them in CP949
    text = "똠방각하와 햏자"
    assert decode(text.encode("cp949")) == text


def test_known_bytes_are_read_as_korean_not_a_latin_code_page() -> None:
    # "한국" in EUC-KR: a guesser could read these four bytes as Latin-1 "ÇÑ±¹"
    assert decode(b"\xc7\xd1\xb1\xb9") == "한국"


def test_utf16_with_bom_is_detected() -> None:
    assert decode(TEXT.encode("utf-16")) == TEXT


def test_text_comes_out_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", TEXT)
    assert decomposed != TEXT
    assert decode(decomposed.encode("utf-8")) == TEXT


def test_binary_file_is_refused_with_its_name() -> None:
    with pytest.raises(UnreadableFile, match=r"photo\.txt: binary data"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.txt")


def test_folders_yield_supported_visible_files_in_order(tmp_path: Path) -> None:
    for name in ("b.txt", "a.JSONL", "sub/c.html", "notes.csv", ".hidden.txt", ".git/x.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", "utf-8")
    found = [(f.relative_to(tmp_path).as_posix(), root) for f, root in find_files([tmp_path])]
    assert found == [("a.JSONL", tmp_path), ("b.txt", tmp_path), ("sub/c.html", tmp_path)]


def test_a_file_named_directly_is_yielded_whatever_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("x", "utf-8")
    assert list(find_files([str(path)])) == [(path, tmp_path)]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="No such file or folder"):
        list(find_files([tmp_path / "nowhere"]))
