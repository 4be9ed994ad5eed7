"""Container plumbing (Ascend Docker Runtime, device plugins, hccn.conf) and applications built against one CANN
release or host form (Paddle, Paddle Lite, ggml's CANN backend, Ascend C kernels, sherpa-onnx, ONNX Runtime):
other members of each family are named, a rule that knows the build better wins over the generic linker rule,
and look-alike lines stay quiet.
"""

from __future__ import annotations

import pytest

from support import assert_root_cause_says, diagnose_text as _diagnose


@pytest.mark.parametrize("text, rule, words", [
    # a device plugin's own look-up of the driver's tools, its list of paths wrapped onto the next line
    ("npu-smi set device-share -i 0 -c 1 -d 1: npu-smi not found in\n[/usr/local/sbin/npu-smi] or PATH: , "
     "which is unexpected", "kb.environment.npu_smi_missing", ["npu-smi", "mount"]),
    ("get device ip: hccn_tool not found in [/usr/local/Ascend/driver/tools/hccn_tool /usr/local/bin/hccn_tool] "
     "or PATH", "kb.launch.hccn_tool_missing", ["hccn_tool", "device_ip"]),
    ("error running prestart hook #0: exit status 255, stdout: , stderr: do mounting\n"
     "failed to mount src: /usr/local/sbin/npu-smi.failed to mount dev.failed to setup container.: unknown",
     "kb.environment.ascend_docker_runtime_mount_failed", ["/usr/local/sbin/npu-smi", "writable"]),
    ("Check file subset failed: /usr/local/Ascend/driver/lib64.failed to do mount directories.",
     "kb.environment.ascend_docker_runtime_mount_failed", ["/usr/local/Ascend/driver/lib64", "other users"]),
    ("[ERROR]: The file /usr/local/bin/ascend-docker-hook is soft link, not support!",
     "kb.environment.ascend_installer_refuses_symlink", ["/usr/local/bin/ascend-docker-hook", "soft link"]),
    ("[ERROR] HCCL(7,python):2025 [RanktablCheck] 'device ip' is not set correctly, must be set when multiServer "
     "or HCCL INTRA ROCE ENABLE enabled", "kb.launch.hccl_ranktable_device_ip_unset", ["/etc/hccn.conf", "mount"]),
    # the Paddle build outranks the generic linker rule on the same line
    ("[ 12%] Linking CXX shared library libphi.so\n/usr/bin/ld: cannot find -lhccl\n"
     "collect2: error: ld returned 1 exit status", "kb.versions.paddle_main_repo_ascend_removed",
     ["PaddleCustomDevice", "hccl"]),
    ("/usr/bin/ld.gold: cannot find -lopenblas\ncollect2: error: ld returned 1 exit status",
     "kb.environment.linker_library_not_found", ["libopenblas"]),
    ("RegisterAscendBinary aiv ret 507899", "kb.versions.ascendc_kernel_register_failed", ["CANN version"]),
    ("/opt/llama.cpp/ggml/src/ggml-cann/ggml-cann.cpp:61: CANN error", "kb.versions.ggml_cann_error_bare",
     ["driver version"]),
    ("/work/sherpa-onnx/csrc/provider.cc:StringToProvider:40 Unsupported string: rknn. Fallback to cpu",
     "kb.environment.sherpa_onnx_provider_not_built", ["rknn", "from source"]),
    ("CANN failure 507013: (look for ACL_ERROR_xxx in acl.h); NPU=0 ; hostname=board ; "
     "expr=aclrtSynchronizeStream(stream);", "kb.runtime.ort_cann_dma_copy_failed", ["RC mode", "aclrtSynchronizeStream"]),
])
def test_another_member_of_the_family_is_named(tmp_path, text, rule, words):
    assert_root_cause_says(_diagnose(tmp_path, text), rule, words)


@pytest.mark.parametrize("text, rule", [
    # a linker line outside a Paddle build is not the Paddle rule
    ("g++ -o app main.o -lascendcl\n/usr/bin/ld: cannot find -lascendcl", "kb.versions.paddle_main_repo_ascend_removed"),
    # a shell echo about a dotfile link is no Ascend installer
    ("echo .bashrc is soft link, move to old_rcfiles", "kb.environment.ascend_installer_refuses_symlink"),
    # a tool other than the driver's, missing from a component's paths
    ("kubectl not found in [/usr/bin/kubectl] or PATH", "kb.environment.npu_smi_missing"),
    # another runtime code from the same provider is not a DMA copy
    ("CANN failure 507011: (look for ACL_ERROR_xxx in acl.h); NPU=0 ; hostname=h ; expr=aclrtSynchronizeStream(s);",
     "kb.runtime.ort_cann_dma_copy_failed"),
])
def test_look_alike_lines_are_not_read_as_the_family(tmp_path, text, rule):
    report = _diagnose(tmp_path, text)
    assert rule not in [finding.rule for finding in report.findings]
