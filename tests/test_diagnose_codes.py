"""An unsure key line with an error code explains the code's general meaning: from CANN's catalogue when
the host has one, else from our code book (CANN's E-codes, ACL and aclnn return codes, torch_npu's ERR
codes), else by the code's family; codes on the lines just above it (the same traceback) count too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mindpilot.launch.router import analyse
from mindpilot.validators.kb import codes
from mindpilot.validators.kb.cann_catalog import read_install

TOOLKIT = Path(__file__).parent / "data" / "cann" / "latest"
STEP = "2025-08-20 10:00:00,000 - mindformers[callback.py:350] - INFO - { step:[1/10], loss: 2.3 }\n"


# The engine alone: no rule of the shipped knowledge base (rules added later must not change these).
pytestmark = pytest.mark.usefixtures("no_rules")


@pytest.mark.parametrize("line, found", [
    ("RuntimeError: NPU function error: aclrtGetDeviceCount, error code is 207004", ["207004"]),
    ("[ERROR] RUNTIME(1,x):t rtSetDevice:ErrCode=107001, desc=[device id error] ret[107001]", ["107001"]),
    ("[ERROR] 2025-07-17-08:06:53 (PID:1, Device:-1, RankID:-1) ERR00100 PTA call acl api failed", ["ERR00100"]),
    ("CANN error: E89999: Inner Error!", ["E89999"]),
    ("TVMError: [EB0000] Check failed", ["EB0000"]),
    ("FuncErrorReason:report error module_type=3, module_name=EE8888", []),  # a field value, not an error
    ("step 1207004 done, lr 5.07011e-05", []),  # digits that no call reports as its return code
    ("[rank1]: RuntimeError: InnerRunOpApi: HcclAllreduce, error code is 7", ["HCCL 7"]),
    ("RuntimeError: HCCL function error: HcclBroadcast(x), error code is 11", ["HCCL 11"]),
    ("RuntimeError: the loader's error code is 7", []),  # not an HCCL call
    ("OSError: [Errno 28] No space left on device: '/ckpt/rank_0'", ["errno 28"]),
    ("Killed", ["signal 9"]),
    ("Segmentation fault (core dumped)", ["signal 11"]),
    ("worker 3 failed (exitcode: -9) local_rank: 3", ["signal 9"]),
    ("the design 5 is fine; killed 3 bugs", []),
    ("[2025-03-01 10:00:00.123+08:00] [1234] [ERROR] [MIE04E13030A] model init failed", ["MIE04E13030A"]),
    ("token MIE04E13030AB and xMIE05E040000", []),  # longer words that only contain the shape
    ("[ERROR] RUNTIME(9,python):t [driver.cc:69]Call drvGetDevNum, drvRetCode=1.", ["driver 1"]),
    ("halGetDeviceInfo failed: drvRet=87", ["driver 87"]),
])
def test_codes_are_found_where_frameworks_print_them(line, found):
    assert codes.codes_in(line) == found


def test_a_code_is_explained_by_the_book_by_its_family_or_not_at_all():
    assert "invalid argument" in codes.explain("EE1001", "en")
    assert "内存" in codes.explain("EL0004", "zh")
    assert "not visible" in codes.explain("207004", "en")
    assert "tiling" in codes.explain("561002", "en")
    assert codes.explain("ERR02200", "en").startswith("ERR02200: torch_npu (distributed): a call into HCCL failed")
    assert "by the code's family" in codes.explain("EI0099", "en") and "HCCL" in codes.explain("EI0099", "en")
    assert "by the code's family" in codes.explain("507099", "en")
    assert codes.explain("HCCL 11", "en").startswith("HCCL 11: HCCL's return code: a TCP connection failed")
    assert codes.explain("EQ1234", "en") is None and codes.explain("ERR00777", "en") is None
    assert codes.explain("HCCL 99", "en") is None
    assert "no space left" in codes.explain("errno 28", "en") and codes.explain("errno 250", "en") is None
    assert "OOM killer" in codes.explain("signal 9", "en") and codes.explain("signal 99", "en") is None


def test_a_mindie_code_names_its_component_and_for_ms_and_server_the_kind_of_error():
    server = codes.explain("MIE04E13030A", "en")
    assert server.startswith("MIE04E13030A: MindIE's code, from MindIE Server") and "failed inside" in server
    assert "没有操作权限" in codes.explain("MIE03E400010", "zh")
    llm = codes.explain("MIE05E040000", "en")  # MindIE LLM numbers its errors per sub-component: no kind said
    assert "MindIE LLM" in llm and "invalid" not in llm
    assert codes.explain("MIE09E000001", "en") is None


def test_a_driver_return_code_says_what_the_driver_reported():
    assert "sees no NPU" in codes.explain("driver 1", "en")
    assert codes.explain("driver 88", "zh").startswith("driver 88：NPU 驱动返回码：没有权限")
    assert codes.explain("driver 5", "en") is None  # not in the book: no guess


def test_cann_s_own_catalogue_comes_first():
    catalog = {entry.code: entry for entry in read_install(TOOLKIT)}
    mine = codes.explain("EL0004", "en", catalog)
    assert mine.startswith("EL0004 (CANN's catalogue): Device memory could not be allocated")
    assert "Another process holds the card" in mine
    assert codes.explain("EE1001", "en", catalog) == codes.explain("EE1001", "en")  # not in that catalogue


def test_the_code_book_is_well_formed():
    book = codes._load_codebook()
    shapes = {"cann_families": r"[EW][0-9A-Z]", "cann_codes": r"[EW][0-9A-Z]\d{4}", "acl_families": r"[1-5]\d{2,3}",
              "acl_codes": r"[1-5]\d{5}", "npu_modules": r"\d\d", "npu_codes": r"\d{3}", "hccl_codes": r"\d{1,2}",
              "errno_codes": r"\d{1,3}", "signals": r"\d{1,2}", "mindie_components": r"0\d",
              "mindie_kinds": r"[01][0-9A-F]", "driver_codes": r"\d{1,5}"}
    for name, shape in shapes.items():
        entries = getattr(book, name)
        assert entries and len({entry.code for entry in entries}) == len(entries), name
        for entry in entries:
            assert re.fullmatch(shape, entry.code), (name, entry.code)
            assert entry.source and entry.meaning.get("zh") and entry.meaning.get("en"), entry.code


def _root_detail(tmp_path: Path, text: str, lang: str = "en"):
    log = tmp_path / "job.log"
    log.write_text(text, encoding="utf-8")
    report = analyse([str(log)], lang)
    return report.root_cause, report.findings[0].detail


def test_the_unsure_key_line_explains_its_code_and_the_one_just_above(tmp_path):
    root, detail = _root_detail(tmp_path, STEP + "Traceback (most recent call last):\n  File \"t.py\", line 3\n"
                                "RuntimeError: op_y: NPU function error: call aclnnY failed, error code is 561002\n"
                                "EZ9999: Inner Error!\nEZ9999: the tiling of op Y got a 9-dimensional input\n")
    assert root.line == 6 and "9-dimensional" in root.title
    assert "EZ9999: an inner error" in detail and "561002: an aclnn operator's tiling failed" in detail
    assert "Not necessarily this job's cause" in detail


def test_a_key_line_without_codes_gets_no_code_text_and_chinese_reads_chinese(tmp_path):
    root, detail = _root_detail(tmp_path, STEP + "KeyError: 'input_ids'\n")
    assert root is not None and "general" not in detail
    _, detail_zh = _root_detail(tmp_path, STEP + "RuntimeError: malloc failed, error code is 207001\n", "zh")
    assert "207001：设备内存申请失败" in detail_zh and "一般含义" in detail_zh


@pytest.mark.parametrize("code", [
    # CANN's error-manager families: operator checks at compile time (E5-E8), TBE compiler (EB), runtime (EE),
    # AscendCL (EH), driver (EL), operator layer (EZ), HCCL/HCCP (EI/EJ), AI CPU (E3), graph/TE (E1/E2/E4).
    "E80008", "E80000", "E50003", "E69999", "E70003", "EB1000", "EE1019", "EH0011", "EL0014", "EZ0007",
    "EI0099", "EJ0005", "E39006", "E40021", "E10001", "E20001", "EM9001",
    # The components' inner-error codes (CANN runtime base_info.hpp) and the runtime's inner warning.
    "E19999", "E29999", "EL9999", "EE8888", "EK9999", "WE9999", "EZ0019", "EZ0037",
    # ACL return codes: runtime arguments (1070xx), GE (145xxx), ACL config (148xxx), runtime and device faults.
    "107019", "107020", "145009", "148050", "507018", "507033", "507035", "507053", "507054", "507055", "507056",
    "507057", "507899", "507900", "507902", "507915", "507916",
])
def test_every_code_family_users_meet_has_a_meaning(code):
    english, chinese = codes.explain(code, "en"), codes.explain(code, "zh")
    assert english and english.startswith(code + ": ") and chinese and chinese.startswith(code + "："), code


def test_an_operator_compile_check_code_says_what_the_operator_rejects():
    assert "data type" in codes.explain("E80008", "en") and "format" in codes.explain("E80015", "en")
    assert "dimensions" in codes.explain("E80012", "en")
    assert "another chip" in codes.explain("100025", "en") and "dynamic shapes" in codes.explain("148050", "en")
    assert "HDC" in codes.explain("507901", "en") and "by the code's family" in codes.explain("507913", "en")
