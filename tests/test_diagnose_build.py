"""Builds against CANN and the tool chain (validators/data/kb/build_cann.yaml, build_toolchain.yaml): other members
of each family than the fixtures show, the value a message names said back, catch-alls said as likely, and
look-alike lines that must stay quiet (a confident wrong answer is worse than an unsure one).
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text


@pytest.mark.parametrize("text, rule, words", [
    # CMake wraps long messages: the first line is enough
    ("CMake Error at /opt/cann/aarch64-linux/tikcpp/ascendc_kernel_cmake/host_config.cmake:60 (message):\n"
     "   does not exist, please check the setting of ASCEND_CANN_PACKAGE_PATH.",
     "kb.environment.build_cann_env_unset", ["set_env.sh"]),
    ("CMake Error at cmake/config.cmake:12 (message):\n  /opt/Ascend/latest does not exist, please check the\n"
     "  setting of ASCEND_CANN_PACKAGE_PATH.", "kb.environment.build_cann_env_unset", ["ASCEND_HOME_PATH"]),
    ("CMake Error at cmake/asc/aicpu-config.cmake:14 (message):\n  ERROR: ASCEND_HOME_PATH directory does not exist!",
     "kb.environment.build_cann_env_unset", ["set_env.sh"]),
    ("Error: The version number of the current code is 8.3.RC1, and the version number of the cann package used "
     "is 8.2.RC1. Please install version 8.3.RC1 of the cann package.",
     "kb.versions.cann_source_version_mismatch", ["8.3.RC1"]),
    ("CMake Error at CMakeLists.txt:3 (project):\n  No CMAKE_C_COMPILER could be found.",
     "kb.environment.cmake_no_compiler", [" C compiler"]),
    ("CMake Error at CMakeLists.txt:20 (find_package):\n  Could not find a package configuration file provided by "
     "\"pybind11\" with any of\n  the following names:", "kb.environment.cmake_package_config_missing",
     ["pybind11"]),
    ("/usr/bin/ld: /home/u/op/build/libcust.a(add.o): relocation R_X86_64_32 against `.rodata' can not be used "
     "when making a PIE object; recompile with -fPIE\n/usr/bin/ld: x.o: relocation R_X86_64_32S against symbol "
     "`g' can not be used when making a shared object; recompile with -fPIC", "kb.environment.static_lib_needs_fpic",
     ["R_X86_64_32S"]),
    ("/usr/bin/ld: main.cpp:(.text+0x3c): undefined reference to `HcclCommInitRootInfo'\n"
     "collect2: error: ld returned 1 exit status", "kb.environment.link_cann_api_unresolved", ["HcclCommInitRootInfo"]),
    ("ops.cpp:(.text+0x88): undefined reference to `c10::detail::torchCheckFail(char const*, char const*, unsigned "
     "int, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)'",
     "kb.environment.link_cxx11_abi_mismatch", ["c10::detail::torchCheckFail"]),
    ("csrc/ops.cpp:3:10: fatal error: torch_npu/csrc/core/npu/NPUStream.h: No such file or directory",
     "kb.environment.torch_headers_missing_at_build", ["torch_npu/csrc/core/npu/NPUStream.h"]),
    ("/usr/lib/gcc/aarch64-linux-gnu/9/include/ATen/ATen.h:4:2: error: #error C++17 or later compatible compiler is "
     "required to use ATen.", "kb.environment.cxx_standard_too_low", ["C++17"]),
    ("/home/u/kernels/matmul.asc:57:5: error: use of undeclared identifier 'SetFixpipeNz2ndFlag'",
     "kb.environment.ascendc_kernel_compile_error", ["CANN"]),
])
def test_each_member_of_a_build_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule", [
    ("c++: fatal error: Killed signal terminated program cc1plus", "kb.environment.compiler_killed"),
    ("fatal error: torch/extension.h: No such file or directory", "kb.environment.torch_headers_missing_at_build"),
    ("main.cpp:(.text+0x58): undefined reference to `aclrtSetDevice'", "kb.environment.link_cann_api_unresolved"),
])
def test_a_build_message_with_several_causes_is_said_as_likely(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == rule
    assert report.root_cause.confidence == "likely"


@pytest.mark.parametrize("text, rule", [
    # ld skips a 32-bit copy on its way and then finds the right one: the link went on, nothing failed here
    ("/usr/bin/ld: skipping incompatible /usr/lib/libm.so when searching for -lm\n[100%] Built target app",
     "kb.environment.linker_wrong_architecture"),
    # another tool's "does not exist, please ..." is no CANN path
    ("Error: model dir /data/qwen does not exist, please download it first", "kb.environment.build_cann_env_unset"),
    # a header the kernel cannot find is the header rule's, not a kernel-code error
    ("/home/u/AddCustom/op_kernel/add_custom.cpp:1:10: fatal error: kernel_operator.h: No such file or directory",
     "kb.environment.ascendc_kernel_compile_error"),
    # an unresolved aclnn API has its own rule (CANN too old), not the plain link rule
    ("undefined reference to `aclnnAddGetWorkspaceSize'", "kb.environment.link_cann_api_unresolved"),
])
def test_look_alike_lines_stay_quiet(tmp_path, text, rule):
    report = diagnose_text(tmp_path, text)
    assert rule not in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("text, rule, words", [
    ("[Toolkit] [2025-03-01 10:12:44] [ERROR]: ERR_NO:0x0093;ERR_DES:The ubuntu do not have the permission to "
     "access /usr/local/Ascend, please reset the directory to a right permission.",
     "kb.environment.cann_install_path_unusable", ["install"]),
    ("[Toolkit] [2025-03-01 10:12:44] [ERROR]: ERR_NO:0x0004;One of parameters '--full', '--devel', '--run', "
     "'--upgrade', '--uninstall', '--check' or '--pre-check' must be used.",
     "kb.environment.cann_install_bad_options", ["--full"]),
    ("PyTorch version mismatch: requested 2.6.0, but 2.5.1+cpu is installed.",
     "kb.environment.torch_npu_build_torch_missing", ["torch"]),
    ("/home/u/k/add.cpp:7:34: error: '__gm__' has not been declared", "kb.environment.ascendc_kernel_host_compiler",
     ["__gm__"]),
    ("gcc: error: invalid feature modifier 'sme' in '-mcpu=native+sme'", "kb.environment.arm_cpu_flag_unknown",
     ["sme"]),
])
def test_each_member_of_an_install_or_tool_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule, words", [
    ("src/tracer.c:88:25: error: 'PyThreadState' {aka 'struct _ts'} has no member named 'frame'",
     "kb.versions.c_extension_older_than_python", ["Python"]),
    ("CMake Error at cmake/ops.cmake:40 (npu_op_kernel_library):\n  Unknown CMake command \"npu_op_kernel_library\".",
     "kb.environment.ascendc_cmake_not_loaded", ["npu_op_kernel_library"]),
    ("csrc/ops.cu:2:10: fatal error: cuda_runtime.h: No such file or directory",
     "kb.environment.cuda_toolkit_required", ["CUDA"]),
    ("Exception: cannot find bisheng, please set cann pkg env bash.", "kb.environment.ascendc_compiler_missing",
     ["bisheng"]),
])
def test_more_members_of_build_families_are_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule, words", [
    ("src/hccl_ops.cpp:41:9: error: 'HCCL_REDUCE_RESERVED' is not a member of 'HcclReduceOp'",
     "kb.versions.cann_api_missing_at_build", ["HCCL_REDUCE_RESERVED"]),
    ("/usr/bin/ld: cannot find -lhccl: No such file or directory", "kb.environment.link_cann_library_path",
     ["libhccl"]),
    ("ops.cpp:(.text+0x10): undefined reference to `at_npu::native::OpCommand::Run()'",
     "kb.environment.link_torch_library_path", ["at_npu"]),
])
def test_cann_and_torch_link_members_are_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_a_paddle_link_line_keeps_its_own_rule(tmp_path):
    text = ("[ 98%] Linking CXX shared library libpaddle.so (paddle/fluid/pybind)\n"
            "/usr/bin/ld: cannot find -lascendcl")
    assert diagnose_text(tmp_path, text).root_cause.rule == "kb.versions.paddle_main_repo_ascend_removed"


@pytest.mark.parametrize("text, rule, words", [
    ("cc1: error: unknown value 'haswell' for '-march'", "kb.environment.x86_build_flags_on_arm", ["haswell"]),
    ("#8 0.321 /bin/sh: 1: source: not found", "kb.launch.source_under_sh", ["sh"]),
    ("/home/u/add_custom.cpp:30:17: error: no member named 'DataCopyPad' in namespace 'AscendC'",
     "kb.environment.ascendc_kernel_compile_error", ["CANN"]),
    ("src/trace.c:12:20: error: invalid use of incomplete type 'PyFrameObject' {aka 'struct _frame'}",
     "kb.versions.c_extension_older_than_python", ["Python"]),
])
def test_members_that_belong_to_a_neighbouring_family_go_there(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_an_x86_cpu_name_is_not_said_as_an_old_arm_compiler(tmp_path):
    report = diagnose_text(tmp_path, "cc1: error: unknown value 'skylake-avx512' for '-march'")
    assert "kb.environment.arm_cpu_flag_unknown" not in {finding.rule for finding in report.findings}


@pytest.mark.parametrize("text, rule, words", [
    ("collect2: fatal error: ld terminated with signal 9 [Killed]", "kb.environment.compiler_killed", ["ld"]),
    ("ninja: error: '/opt/conda/lib/python3.10/site-packages/torch/lib/libc10.so', needed by 'ops.so', missing and "
     "no known rule to make it", "kb.environment.build_target_file_missing", ["libc10.so"]),
])
def test_build_step_failures_are_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule, words", [
    ("/bin/sh: 1: atc: not found", "kb.environment.cann_tool_not_on_path", ["atc"]),
    ("meson.build:1:0: ERROR: Unknown compiler(s): [['gfortran'], ['flang-new'], ['flang']]",
     "kb.environment.source_build_system_dependency", ["gfortran"]),
])
def test_tools_a_build_lacks_are_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule, words", [
    ("csrc/ops.cpp:12:5: error: 'c10_npu' has not been declared", "kb.versions.torch_npu_api_missing_at_build",
     ["c10_npu"]),
    ("ops.cpp:(.text+0x2c): undefined reference to `std::__throw_bad_array_new_length()@GLIBCXX_3.4.29'",
     "kb.environment.link_glibc_symbol_version", ["GLIBCXX_3.4.29"]),
])
def test_version_bound_build_members_are_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_a_needed_library_warning_of_a_link_that_went_on_stays_quiet(tmp_path):
    text = ("/usr/bin/ld: warning: libascend_hal.so, needed by libascendcl.so, not found (try using -rpath or "
            "-rpath-link)\n[100%] Built target main")
    report = diagnose_text(tmp_path, text)
    assert "kb.environment.link_needed_library_not_found" not in {finding.rule for finding in report.findings}


def test_a_missing_cmake_is_named_whichever_line_says_it(tmp_path):
    text = ("FileNotFoundError: [Errno 2] No such file or directory: 'cmake'\n\nDuring handling of the above "
            "exception, another exception occurred:\n\nRuntimeError: Cannot find CMake executable: [Errno 2] No such "
            "file or directory: 'cmake'")
    report = diagnose_text(tmp_path, text)
    rules = {finding.rule for finding in report.findings}
    assert "kb.environment.cmake_missing" in rules
    assert report.root_cause.rule in {"kb.environment.cmake_missing", "kb.environment.executable_not_found"}


def test_the_older_pytorch_cxx17_wording_is_named(tmp_path):
    text = "/opt/torch/include/c10/macros/Macros.h:12:2: error: #error \"You need C++17 to compile PyTorch\""
    assert_root_cause_says(diagnose_text(tmp_path, text), "kb.environment.cxx_standard_too_low", ["C++17"])


@pytest.mark.parametrize("text", [
    "main.cpp:40:5: error: 'aclrtlaunch_add_custom' was not declared in this scope",
    "main.cpp:(.text+0x90): undefined reference to `aclrtlaunch_add_custom'",
])
def test_a_kernel_launch_function_is_the_kernel_library_s_not_an_old_cann(tmp_path, text):
    report = diagnose_text(tmp_path, text)
    assert report.root_cause.rule == "kb.environment.ascendc_launch_header_missing"
    rules = {finding.rule for finding in report.findings}
    assert not rules & {"kb.versions.cann_api_missing_at_build", "kb.environment.link_cann_api_unresolved"}
