"""The scan skips lines whose shape (digits aside) is known to match nothing: never a line that would match."""

from __future__ import annotations

import io

from mindpilot.validators.kb import load_kb
from mindpilot.validators.kb.scan import Scanner


def _rules(text: str) -> list[tuple[str, int]]:
    scanner = Scanner(load_kb().matcher("log"), chunk=1 << 16)
    return [(hit.hit.rule, hit.line) for hit in scanner.scan(io.BytesIO(text.encode("utf-8")))]


def test_a_digit_that_decides_the_match_is_never_masked():
    near = "EI0003: The wait execution of the Notify register times out. Reason: remote rank [3].\n"
    real = "EI0002: The wait execution of the Notify register times out. Reason: remote rank [3].\n"
    hits = _rules(near * 50 + real)
    assert ("kb.launch.hccl_exec_timeout", 51) in hits


def test_quiet_lines_are_skipped_and_the_error_among_them_is_found():
    info = ("[INFO] PRE_ACT(31240,ffff8c0e21e0,python):2025-08-20-10:11:{s:02d}.345.678 [mem_dynamic_allocator.cc:{n}]"
            " CalMemBlockAllocSize] Memory not enough: current free memory size[{n}] is smaller than required size\n")
    error = "RuntimeError: Memory not enough: current free memory size[0] is smaller than required size\n"
    text = "".join(info.format(s=i % 60, n=i) for i in range(2000)) + error
    assert _rules(text) == [("kb.data.host_memory_low", 2001)]
    assert _rules(text * 2)[-1] == ("kb.data.host_memory_low", 4002)  # line numbers stay right after skips
