"""Environment families every stack meets first: the NPU driver and its device files, containers and Kubernetes,
CANN's set_env.sh and its libraries, CANN's own Python dependencies, protobuf / setuptools drift, compiled
extensions built against another torch, and the memory limits that kill a job from outside.

Each line is the tool's own message text (the CANN runtime, Docker, the Kubernetes scheduler, Ray, dash, bash,
protobuf, setuptools, the dynamic linker), as the rule's ``source`` names it: another member of the family than
the rule's fixture, a look-alike line that must not fire, and a specific rule that must outrank a catch-all.
"""

from __future__ import annotations

import pytest

from mindpilot.validators.kb.report import CONFIDENT, LIKELY
from support import assert_root_cause_says, diagnose_text

CANN_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/usr/local/Ascend/ascend-toolkit/latest/python/site-packages/te/platform/__init__.py", line 9, '
    "in <module>\n    import sympy\n")


@pytest.mark.parametrize("text, rule, words", [
    ("[ERROR] RUNTIME(278,python3):2025-08-26-03:01:17.584.694 [runtime.cc:1380]278 CheckHaveDevice:Call "
     "halGetDeviceInfo failed: drvRet=87, module type=0, info type=1.",
     "kb.environment.npu_device_access_denied", ["another container"]),
    ("PermissionError: [Errno 13] Permission denied: '/dev/davinci3'",
     "kb.environment.npu_device_access_denied", ["HwHiAiUser"]),
    ("[ERROR] RUNTIME(5,python):2025-01-01 [driver.cc:64]5 GetDeviceCount:Call drvGetDevNum, drvRetCode=1.",
     "kb.environment.npu_driver_call_failed", ["driver code 1", "/dev/davinci"]),
    ("docker: Error response from daemon: unknown or invalid runtime name: ascend.",
     "kb.environment.docker_ascend_runtime_missing", ["ascend runtime", "daemon.json"]),
    ("Error response from daemon: unknown or invalid runtime name: nvidia",
     "kb.environment.docker_gpu_request_on_npu", ["NVIDIA Container Toolkit"]),
    ("  Warning  FailedScheduling  5s  volcano  0/8 nodes are unavailable: 8 Insufficient huawei.com/Ascend910-4c.",
     "kb.environment.k8s_npu_resource_insufficient", ["huawei.com/Ascend910-4c", "device plugin"]),
    ("ImportError: libhcomm.so: cannot open shared object file: No such file or directory",
     "kb.environment.cann_lib_missing", ["set_env.sh"]),
    ("[123.456] Memory cgroup out of memory: Killed process 4321 (python3) total-vm:123456kB",
     "kb.runtime.host_oom", ["killed"]),
    ("bash: fork: retry: Resource temporarily unavailable", "kb.environment.thread_limit_reached", ["limit"]),
    ("sh: 1: source: not found", "kb.launch.source_under_sh", ["dash"]),
    ("bash: /usr/local/Ascend/nnal/atb/set_env.sh: No such file or directory",
     "kb.environment.set_env_script_missing", ["/usr/local/Ascend/nnal/atb/set_env.sh", "NNAL"]),
    ("RuntimeError: Could not find ASCEND_HOME_PATH in env. Please run set_env.sh first.",
     "kb.environment.cann_set_env_not_sourced", ["set_env.sh"]),
    ("ray.exceptions.OutOfMemoryError: Task was killed due to the node running low on memory.",
     "kb.runtime.ray_memory_monitor_kill", ["host memory"]),
    ('      "OOMKilled": true,', "kb.runtime.container_oom_killed", ["memory limit"]),
    (CANN_TRACEBACK + "ModuleNotFoundError: No module named 'sympy'",
     "kb.environment.cann_python_deps_missing", ["sympy"]),
    ("ModuleNotFoundError: No module named 'te_fusion'", "kb.environment.cann_python_packages", ["set_env.sh"]),
    ("google.protobuf.runtime_version.VersionError: Detected mismatched Protobuf Gencode/Runtime major versions "
     "when loading a/b.proto: gencode 6.31.1 runtime 5.29.5. Same major version is required.",
     "kb.versions.protobuf_gencode_runtime_mismatch", ["major version"]),
    ("ImportError: cannot import name 'runtime_version' from 'google.protobuf' "
     "(/usr/lib/python3/dist-packages/google/protobuf/__init__.py)",
     "kb.versions.protobuf_gencode_runtime_mismatch", ["5.26"]),
    ("ImportError: /opt/mindspeed/mindspeed/ops/npu_ops.so: undefined symbol: "
     "_ZN2at4_ops5empty4callEN3c108ArrayRefIlEENS2_8optionalINS2_10ScalarTypeEEE",
     "kb.versions.torch_extension_abi_mismatch", ["npu_ops.so", "_GLIBCXX_USE_CXX11_ABI"]),
    ("ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory (shm).",
     "kb.runtime.dataloader_shm_exhausted", ["/dev/shm"]),
    ("RuntimeError: DataLoader worker (pid 4321) is killed by signal: Segmentation fault.",
     "kb.runtime.dataloader_worker_exited", ["4321"]),
    ("fatal: unable to access 'https://gitee.com/ascend/MindSpeed.git/': gnutls_handshake() failed: The TLS "
     "connection was non-properly terminated.", "kb.environment.git_transfer_interrupted", ["git"]),
    ("curl: (60) SSL certificate problem: unable to get local issuer certificate",
     "kb.environment.tls_ca_untrusted", ["unable to get local issuer certificate", "CA"]),
    ("huggingface_hub.errors.HfHubHTTPError: 401 Client Error: Unauthorized for url: https://hf-mirror.com/api/models/x"
     " (Request ID: Root=1-abc)\n\nInvalid credentials in Authorization header", "kb.weights.hub_token_rejected",
     ["token"]),
    ("requests.exceptions.HTTPError: Authentication token does not exist or invalid.",
     "kb.weights.modelscope_resource_missing", ["ModelScope"]),
    ("huggingface_hub.errors.HFValidationError: Repo id must use alphanumeric chars or '-', '_', '.', '--' and '..' "
     "are forbidden, '-' and '.' cannot start or end the name, max length is 96: '../models/Qwen2.5-7B'.",
     "kb.serving.model_path_taken_for_repo_id", ["../models/Qwen2.5-7B"]),
    ("[2025-01-01 10:00:00,100] [ERROR] [launch.py:325:sigkill_handler] ['python', 'train.py'] exits with return "
     "code = -9", "kb.launch.launcher_worker_sigkill", ["SIGKILL"]),
    ("E1207 10:00:00.000000 1234 torch/distributed/elastic/multiprocessing/api.py:881] failed (exitcode: -9) "
     "local_rank: 0 (pid: 1234) of binary: /usr/bin/python3", "kb.launch.torchrun_worker_sigkill", ["1234"]),
    ("LibMambaUnsatisfiableError: Encountered problems while solving:", "kb.environment.resolver_unsatisfiable",
     ["conda"]),
    ("/opt/conda/envs/ms/bin/python3.10: No module named pip", "kb.environment.pip_not_installed",
     ["/opt/conda/envs/ms/bin/python3.10"]),
    ("mkdir: cannot create directory '/home/shared/ascend/log/debug': Permission denied",
     "kb.environment.cann_work_dir_not_writable", ["ascend/log"]),
    ("clang: error: unsupported option '-mavx512f' for target 'aarch64-unknown-linux-gnu'",
     "kb.environment.x86_build_flags_on_arm", ["-mavx512f", "aarch64"]),
    ("/src/llama/ggml.c:12:10: fatal error: x86intrin.h: No such file or directory",
     "kb.environment.x86_build_flags_on_arm", ["x86intrin.h"]),
    ("/usr/include/c10/util/C++17.h:13:2: error: #error \"You're trying to build PyTorch with a too old version of GCC. "
     "We need GCC 9 or later.\"", "kb.environment.compiler_too_old", ["GCC 9"]),
    ("requests.exceptions.InvalidURL: Proxy URL had no scheme, should start with http:// or https://",
     "kb.environment.proxy_url_unsupported", ["http://"]),
    ("stderr: dcmi lib load failed, , error code: -8001", "kb.environment.ascend_docker_runtime_dcmi_failed",
     ["DCMI"]),
    ("ImportError: Python version mismatch: module was compiled for Python 3.9, but the interpreter version is "
     "incompatible: 3.10.12 (main, Nov 20 2023, 15:14:05) [GCC 11.4.0].",
     "kb.versions.extension_python_abi_mismatch", ["3.9", "3.10.12"]),
    ("PermissionError: [Errno 13] Permission denied: '/home/u/.triton/cache/2f/kernel.json'",
     "kb.environment.cache_dir_not_writable", [".triton"]),
    ("locale.Error: unsupported locale setting", "kb.environment.locale_not_utf8", ["UTF-8"]),
    ("failed to register layer: write /var/lib/docker/overlay2/abc/diff/usr/lib/libx.so: no space left on device",
     "kb.runtime.disk_full", ["/var/lib/docker"]),
    ("docker: Error response from daemon: manifest for swr.cn-south-1.myhuaweicloud.com/ascendhub/cann:8.0.rc9 not "
     "found: manifest unknown: manifest unknown.", "kb.environment.docker_image_pull_denied", ["cann:8.0.rc9"]),
    ("Error response from daemon: Get \"https://registry-1.docker.io/v2/\": proxyconnect tcp: dial tcp 10.0.0.1:3128: "
     "connect: connection refused", "kb.environment.docker_registry_unreachable", ["registry-1.docker.io", "dockerd"]),
    ("CommandNotFoundError: Your shell has not been properly configured to use 'conda activate'.",
     "kb.environment.conda_shell_not_initialised", ["conda init"]),
    ("bash: ./set_env.sh: Permission denied", "kb.environment.set_env_executed_not_sourced", ["sourced"]),
    ("ls: cannot access '/dev/davinci_manager': No such file or directory",
     "kb.environment.npu_device_files_missing", ["--device"]),
    ("OSError: /opt/conda/lib/python3.10/site-packages/torch_npu/lib/libtorch_npu.so: cannot open shared object "
     "file: Permission denied", "kb.environment.library_not_readable", ["libtorch_npu.so", "umask"]),
    ("OSError: [Errno 113] No route to host", "kb.environment.network_unreachable", ["No route to host"]),
    ("Resolving github.com (github.com)... failed: Temporary failure in name resolution.",
     "kb.environment.network_unreachable", ["proxy"]),
    ("OSError: libaio.so.1: cannot open shared object file: No such file or directory",
     "kb.environment.os_library_missing", ["libaio.so.1"]),
    # git refusing the folder is the cause of the version lookup failing after it
    ("fatal: detected dubious ownership in repository at '/src/MindSpeed'\n"
     "LookupError: setuptools-scm was unable to detect version for /src/MindSpeed.",
     "kb.environment.git_dubious_ownership", ["/src/MindSpeed"]),
    ("LookupError: setuptools-scm was unable to detect version for /home/u/vllm-0.9.1.",
     "kb.environment.scm_version_undetectable", ["/home/u/vllm-0.9.1", "git"]),
    ("OSError: /usr/local/lib/python3.10/site-packages/torchaudio/lib/libtorchaudio.so: undefined symbol: "
     "_ZNK3c105Error4whatEv", "kb.versions.torch_extension_abi_mismatch", ["libtorchaudio.so"]),
])
def test_a_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, text), rule, words)


def test_the_driver_codes_that_name_a_cause_are_said_as_the_cause_and_the_rest_as_likely(tmp_path):
    occupied = diagnose_text(tmp_path, "GetDeviceCount:Call drvGetDevNum, drvRetCode=87.", "occupied.log")
    other = diagnose_text(tmp_path, "GetDeviceCount:Call drvGetDevNum, drvRetCode=7.", "other.log")
    assert occupied.root_cause.rule == "kb.environment.npu_device_access_denied"
    assert occupied.root_cause.confidence == CONFIDENT
    assert other.root_cause.rule == "kb.environment.npu_driver_call_failed"
    assert other.root_cause.confidence == LIKELY


@pytest.mark.parametrize("text, rule", [
    # a package missing from the user's own script is not CANN's dependency
    ("Traceback (most recent call last):\n  File \"/home/u/train.py\", line 3, in <module>\n    import sympy\n"
     "ModuleNotFoundError: No module named 'sympy'", "kb.environment.cann_python_deps_missing"),
    # torch_npu's own library and ATB's have rules that know them
    ("ImportError: /usr/lib/python3.10/site-packages/torch_npu/lib/libtorch_npu.so: undefined symbol: "
     "_ZN3c1015SmallVectorBase", "kb.versions.torch_extension_abi_mismatch"),
    ("OSError: /usr/local/Ascend/nnal/atb/latest/atb/cxx_abi_1/lib/libatb.so: undefined symbol: _ZN2at6detail",
     "kb.versions.torch_extension_abi_mismatch"),
    ('            "OOMKilled": false,', "kb.runtime.container_oom_killed"),
    ("  Warning  FailedScheduling  default-scheduler  0/2 nodes are available: 2 Insufficient cpu.",
     "kb.environment.k8s_npu_resource_insufficient"),
    ("PermissionError: [Errno 13] Permission denied: '/data/davinci_notes.txt'",
     "kb.environment.npu_device_access_denied"),
    ("ls: cannot access '/usr/local/Ascend/ascend-toolkit/set_env.sh': No such file or directory",
     "kb.environment.set_env_script_missing"),
    ("+ source /usr/local/Ascend/ascend-toolkit/set_env.sh", "kb.launch.source_under_sh"),
    # a broken pip, not a missing one
    ("ModuleNotFoundError: No module named 'pip._internal'", "kb.environment.pip_not_installed"),
    ("[launch.py:351:main] Process 4321 exits successfully.", "kb.launch.launcher_worker_sigkill"),
    ("[launch.py:325:sigkill_handler] ['python', 'train.py'] exits with return code = 1",
     "kb.launch.launcher_worker_sigkill"),
    # MindSpore's own shared-memory wording stays with its data-pipeline rule
    ("RuntimeError: Init multiprocessing.Event() failed, This might be caused by insufficient shm, and the recommended "
     "shm size is at least 5 GB.", "kb.runtime.dataloader_shm_exhausted"),
    ("RuntimeError: DataLoader worker (pid 77) is killed by signal: Killed.", "kb.runtime.dataloader_worker_exited"),
    # an ARM flag a too-old GCC does not know is not x86 code on ARM
    ("gcc: error: unrecognized command-line option '-mcpu=neoverse-n2'", "kb.environment.x86_build_flags_on_arm"),
    ("/src/kernels.c:2:10: fatal error: arm_neon.h: No such file or directory", "kb.environment.x86_build_flags_on_arm"),
    ("-- cmake_minimum_required(VERSION 3.18) satisfied by 3.27.4", "kb.environment.cmake_too_old"),
    # data in another encoding is not the locale
    ("UnicodeDecodeError: 'utf-8' codec can't decode byte 0xb5 in position 3: invalid start byte",
     "kb.environment.locale_not_utf8"),
    ("ImportError: /x/ext.so: undefined symbol: _ZN3c104cuda20getCurrentCUDAStreamEa",
     "kb.versions.extension_python_abi_mismatch"),
    ("PermissionError: [Errno 13] Permission denied: '/data/train.json'", "kb.environment.cache_dir_not_writable"),
    ("INFO:     127.0.0.1:5000 - \"GET https://localhost:8000/v2/models HTTP/1.1\" 200 OK",
     "kb.environment.docker_registry_unreachable"),
    ("ls: cannot access '/data/ckpt': No such file or directory", "kb.environment.npu_device_files_missing"),
    # torch.utils.cpp_extension warns so on every import where CUDA_HOME is set: no failure
    ("UserWarning: No CUDA runtime is found, using CUDA_HOME='/usr/local/cuda'",
     "kb.environment.cuda_toolkit_required"),
    ("ImportError: libhccl.so: cannot open shared object file: No such file or directory",
     "kb.environment.library_not_readable"),
    # one process over its own ulimit is another rule
    ("OSError: [Errno 24] Too many open files: '/data/x.json'", "kb.environment.system_file_table_full"),
    # torch's c10d socket retries word it otherwise and are only warnings
    ("[W socket.cpp:663] [c10d] The client socket has failed to connect to [node0]:29500 (errno: 110 - Connection "
     "timed out).", "kb.environment.network_unreachable"),
    ("ImportError: libnuma.so.1: cannot open shared object file: Permission denied", "kb.environment.os_library_missing"),
    ("ImportError: /opt/app/libzip.so.5: cannot open shared object file: No such file or directory",
     "kb.environment.os_library_missing"),
    # torch's own library missing a torch symbol is a mixed torch install, not an extension built elsewhere
    ("ImportError: /x/torch/lib/libtorch_cpu.so: undefined symbol: _ZN3c1010Warning",
     "kb.versions.torch_extension_abi_mismatch"),
])
def test_look_alike_lines_do_not_fire(tmp_path, text, rule):
    assert rule not in {finding.rule for finding in diagnose_text(tmp_path, text).findings}
