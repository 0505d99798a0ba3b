"""Whoosh's segment files are read in place from their map: same bytes as BytesIO, nothing copied."""

from __future__ import annotations

import io
import os
import pickle
import random
from array import array

from indexer import mapped_files
from indexer.generations import Generation
from indexer.mapped_files import ViewReader


def _pair(data: bytes) -> tuple[io.BytesIO, ViewReader]:
    return io.BytesIO(data), ViewReader(memoryview(data))


def test_reads_as_bytesio_does() -> None:
    rng = random.Random(7)
    data = bytes(rng.choice(b"ab\n\x00\xff") for _ in range(5000))
    plain, mapped = _pair(data)
    for _ in range(2000):
        op = rng.choice(["read", "readline", "seek", "tell", "readinto"])
        if op == "read":
            size = rng.choice([-1, None, 0, 1, 7, 300, 6000])
            assert mapped.read(size) == plain.read(size)
        elif op == "readline":
            size = rng.choice([-1, 0, 3, 500])
            assert mapped.readline(size) == plain.readline(size)
        elif op == "seek":
            whence = rng.choice([os.SEEK_SET, os.SEEK_CUR, os.SEEK_END])
            offset = rng.randint(0, 5200) if whence == os.SEEK_SET else rng.randint(-100, 100)
            if whence == os.SEEK_END:
                offset = -abs(offset)
            if whence == os.SEEK_CUR and plain.tell() + offset < 0:
                offset = -plain.tell()
            assert mapped.seek(offset, whence) == plain.seek(offset, whence)
        elif op == "readinto":
            a = bytearray(rng.randint(0, 64))
            b = bytearray(len(a))
            assert mapped.readinto(a) == plain.readinto(b) and a == b
        assert mapped.tell() == plain.tell()
    plain.seek(0), mapped.seek(0)
    assert list(mapped) == list(plain)


def test_pickles_and_arrays_load_from_it() -> None:
    numbers = array("i", range(100))
    data = pickle.dumps({"a": [1, 2, "три"]}, protocol=2) + numbers.tobytes()
    reader = ViewReader(memoryview(data))
    assert pickle.load(reader) == {"a": [1, 2, "три"]}
    loaded = array("i")
    loaded.fromfile(reader, 100)
    assert loaded == numbers


def test_index_readers_share_the_map(sample_generation: Generation) -> None:
    from whoosh.filedb import compound

    assert getattr(compound.BufferFile, "zero_copy", False)  # installed by opening an index
    with sample_generation.keyword.searcher() as first, sample_generation.keyword.searcher() as second:
        for searcher in (first, second):
            postings = searcher.reader()._terms._postfile
            assert isinstance(postings.file, ViewReader)
        term = next(iter(first.reader().all_terms()))
        assert list(first.reader().postings(*term).all_ids()) == list(second.reader().postings(*term).all_ids())
    mapped_files.install()  # a second call changes nothing
    assert getattr(compound.BufferFile, "zero_copy", False)
