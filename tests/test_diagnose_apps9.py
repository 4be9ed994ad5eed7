"""Applications and builds around the NPU stack: other members of each family are named (a kernel's UB overflow
note, the driver's vNPU AI-core check, the 2D copy a device lacks, CANN's CMake config pointing into another CANN,
a C++ member the source lacks, an operator torch.compile cannot trace), messages a terminal wrapped or a logger
reworded still reach their rule, a log of warnings only is said as a warning, and look-alike lines stay quiet.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    ("[NOTE] Due to Ub overflow, automatically set enable-code-motion to false, set enable-auto-multi-buffer to "
     "false; compilation still failed.\nerror: Failed to run BiShengHIR pipeline",
     "kb.operator.bisheng_ub_overflow_note", ["Unified Buffer", "tile size"]),
    # the compiler's own summary alone is the kernel-compile family, said as likely
    ("[rank2]: loc(\"/opt/lib/kernels/scan.py\":12:0): error: Failed to run BiShengHIR pipeline",
     "kb.operator.triton_kernel_compile_failed", ["triton-ascend"]),
    ("[ERROR] check aicore num failed, phy_id:3, core_need:2, used:7, total:8 Failed to create vdev info. "
     "(dev_id=3; ret=-22)", "kb.environment.vnpu_aicore_exhausted", ["7 of 8", "left over"]),
    ("EL0014: The operation is unsupported.\n   rtMemcpy2d execute failed, reason=[driver error:feature not support]"
     "[FUNC:FuncErrorReason]", "kb.runtime.memcpy2d_not_supported", ["aclrtMemcpy2d", "Atlas 200I/500 A2"]),
    ("CMake Error at /usr/local/Ascend/ascend-toolkit/latest/lib64/cmake/ASCConfig.cmake:31 (include):\n"
     "  include could not find requested file:\n\n    /opt/other/cann/ASC_CMake/FindASC.cmake",
     "kb.environment.cann_cmake_config_other_install", ["two CANN", "set_env.sh"]),
    # GCC's typographic quotes, as a UTF-8 locale prints them
    ("src/layers/act.cpp:12:9: error: \u2018struct net::MishFunctor\u2019 has no member named \u2018initNpuNode\u2019; "
     "did you mean \u2018initKernel\u2019?", "kb.environment.cxx_source_no_member", ["initNpuNode", "upstream"]),
    ("torch._subclasses.fake_tensor.UnsupportedOperatorException: mylib.rope_inplace.default",
     "kb.graph.fake_tensor_unsupported_op", ["mylib.rope_inplace.default", "fake (meta) implementation"]),
    ("RuntimeError: There was no fake impl registered for <CustomOpDef(npu_ext::fused_rope)>. This is necessary for "
     "torch.compile/export/fx tracing to work.", "kb.graph.fake_tensor_unsupported_op", ["npu_ext::fused_rope"]),
    # a logger's line with the exception's message only
    ("2026-01-02 10:00:00 - myserver.cli - ERROR - context has already been set",
     "kb.launch.start_method_set_twice", ["start method"]),
    # dlerror's text wrapped after the NNAL library's path
    ("OSError: Fail to open library: /opt/app/libplugin-npu.so with error: \n"
     "/usr/local/Ascend/nnal/atb/latest/atb/cxx_abi_0/lib/libatb.so: \nundefined symbol: _ZN3atb9Something",
     "kb.versions.atb_undefined_symbol", ["libatb.so", "CANN version"]),
    # the same wrap after any other library: the generic pair of mismatched versions
    ("ImportError: /opt/venv/lib/python3.10/site-packages/myext/_C.so: \nundefined symbol: _ZN5myext4initEv",
     "kb.versions.undefined_symbol", ["_C.so", "_ZN5myext4initEv"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule", [
    ("ggml/src/ggml-cann.cpp:99:7: error: 'struct ggml_backend_i' has no member named 'get_name'",
     "kb.environment.ggml_cann_source_build_failed"),
    ("/src/MyOp/op_host/my_op.cpp:23:13: error: 'class gert::TilingContext' has no member named 'GetFoo'",
     "kb.environment.custom_op_host_compile_error"),
])
def test_a_catch_all_that_knows_the_project_is_said_before_the_compiler_s_own(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == rule, [f.rule for f in report.findings]


def test_a_wrapped_cpu_fallback_warning_is_said_as_a_warning_not_an_error(tmp_path):
    report = _diagnose(tmp_path, "Warning: CAUTION: The operator 'aten::unique_consecutive' is not currently "
                                 "supported on the NPU ba\nckend and will fall back to run on the CPU.")
    rules = [(finding.rule, finding.severity.value) for finding in report.findings]
    assert rules == [("kb.operator.torch_op_cpu_fallback", "warning")], rules
    assert "not an error" in report.findings[0].title


@pytest.mark.parametrize("text, rule", [
    # the error form of the same torch_npu message (no fallback) is not a warning
    ("RuntimeError: The operator 'aten::foo' is not currently supported on the NPU backend.",
     "kb.operator.torch_op_cpu_fallback"),
    # CPython's frame structs have their own rule
    ("frame.c:10:5: error: 'PyFrameObject' {aka 'struct _frame'} has no member named 'f_lasti'",
     "kb.environment.cxx_source_no_member"),
    # an undefined symbol line after a library that is not NNAL's
    ("/opt/app/libfoo.so: \nundefined symbol: _ZN3foo3barEv", "kb.versions.atb_undefined_symbol"),
    # a line that only starts with the words, after no library
    ("loading plugins\nundefined symbol: foo", "kb.versions.undefined_symbol"),
    # a CMake include failure of a project's own file, not CANN's config
    ("CMake Error at cmake/deps.cmake:4 (include):\n  include could not find requested file:\n    Foo",
     "kb.environment.cann_cmake_config_other_install"),
    # a vNPU creation that failed for another reason
    ("create virtual device failed, error code: -8", "kb.environment.vnpu_aicore_exhausted"),
])
def test_look_alike_lines_are_not_read_as_the_family(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert rule not in [finding.rule for finding in report.findings]
