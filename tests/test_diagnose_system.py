"""Failures outside the framework (installing, downloading, corrupted files, the OS): each rule of
validators/data/kb/system_{install,network,files,os}.yaml is the root cause of its own fixture, reads other
members of its family and names what the line names, yields to a rule that knows the line better, and stays
quiet on look-alike lines (a confident wrong answer is worse than an unsure one).

Lines here are the tools' own message texts (pip, huggingface_hub, modelscope, PyTorch, sentencepiece,
tokenizers, curl, wget, git, git-lfs, bash, coreutils), as each rule's ``source`` names them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mindpilot.validators.kb import diagnose_paths, load_kb
from mindpilot.validators.findings import Severity
from mindpilot.validators.kb.report import CONFIDENT, LIKELY
from support import assert_root_cause_says, diagnose_text

REPO = Path(__file__).parent.parent
KB_LOGS = Path(__file__).parent / "data" / "logs" / "kb"
SYSTEM_FILES = sorted((REPO / "validators" / "data" / "kb").glob("system_*.yaml"))
RULES = [rule["id"] for path in SYSTEM_FILES for rule in yaml.safe_load(path.read_text("utf-8"))["rules"]]


@pytest.mark.parametrize("rule_id", RULES)
def test_each_rule_is_the_root_cause_of_its_fixture(rule_id):
    report = diagnose_paths([str(KB_LOGS / f"{rule_id}.log")], "en")
    rule = load_kb().rules[rule_id]
    if rule.severity is not Severity.ERROR or rule.consequence:  # a note or a follow-on: listed, never the cause
        assert report.root_cause is None and report.findings[0].rule == rule_id
        return
    assert report.root_cause is not None and report.root_cause.rule == rule_id, [f.rule for f in report.findings]
    # A catch-all is said as likely; a rule that names the cause is said as the cause.
    expected = LIKELY if load_kb().rules[rule_id].generic else CONFIDENT
    assert report.root_cause.confidence == expected


@pytest.mark.parametrize("line, rule, words", [
    # pip: the package that failed to build, in each pip generation's wording
    ("ERROR: Failed to build installable wheels for some pyproject.toml based projects (sentencepiece)",
     "kb.environment.pip_build_failed", ["sentencepiece", "prebuilt"]),
    ("ERROR: Failed to build 'flash-attn' when getting requirements to build wheel",
     "kb.environment.pip_build_failed", ["flash-attn"]),
    ("      error: can't find Rust compiler", "kb.environment.build_no_compiler", ["Rust"]),
    ("unable to execute 'g++': No such file or directory", "kb.environment.build_no_compiler", ["g++"]),
    ("ERROR: vllm-ascend 0.7.3 has requirement torch-npu==2.5.1, but you have torch-npu 2.1.0.",
     "kb.versions.pip_dependency_conflict", ["vllm-ascend", "torch-npu 2.1.0"]),
    ("ERROR: Cannot install mindformers==1.3.2 and mindspore==2.3.1 because these package versions have "
     "conflicting dependencies.", "kb.versions.pip_resolution_impossible", ["mindformers==1.3.2 and mindspore==2.3.1"]),
    # network: the host named, whichever tool failed
    ("curl: (7) Failed to connect to raw.githubusercontent.com port 443 after 21 ms: Connection refused",
     "kb.environment.host_unreachable", ["raw.githubusercontent.com"]),
    ("fatal: unable to access 'https://github.com/Ascend/MindSpeed.git/': Failed to connect to github.com port 443 "
     "after 130 ms: Connection timed out", "kb.environment.host_unreachable", ["github.com"]),
    ("wget: unable to resolve host address ‘modelscope.cn’", "kb.environment.host_unreachable", ["modelscope.cn"]),
    ("Connecting to hf-mirror.com (hf-mirror.com)|153.121.57.40|:443... failed: Connection timed out.",
     "kb.environment.host_unreachable", ["hf-mirror.com"]),
    ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='www.modelscope.cn', port=443): Max retries "
     "exceeded with url: /api/v1/models (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object>: "
     "Failed to establish a new connection: [Errno 101] Network is unreachable'))",
     "kb.environment.package_index_unreachable", ["internet"]),
    ("OSError: You are trying to access a gated repo.", "kb.weights.hf_gated_repo", ["token"]),
    ("huggingface_hub.errors.RevisionNotFoundError: 404 Client Error. Revision Not Found for url: "
     "https://huggingface.co/api/models/Qwen/Qwen2-7B/revision/v9.", "kb.weights.hf_file_not_found", ["Revision"]),
    ("modelscope - ERROR - Authentication token does not exist, failed to access org/private-model which may not "
     "exist or may be private. Please login first.", "kb.weights.modelscope_repo_unavailable", ["org/private-model"]),
    ("ERROR: File /root/.cache/modelscope/hub/Qwen/Qwen2-7B/model-00001-of-00004.safetensors integrity check "
     "failed, expected sha256 signature is 9a1b, actual is 77cd, the download may be incomplete, please try again.",
     "kb.weights.download_incomplete", ["sha256"]),
    ("requests.exceptions.ProxyError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with "
     "url: /simple/torch/ (Caused by ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: "
     "407 Proxy Authentication Required')))", "kb.environment.pip_proxy_error", ["proxy"]),
    # files that arrive broken
    ("OSError: You seem to have cloned a repository without having git-lfs installed. Please install git-lfs and "
     "run `git lfs install` followed by `git lfs pull` in the folder you cloned.", "kb.weights.git_lfs_pointer",
     ["git-lfs"]),
    ("git: 'lfs' is not a git command. See 'git --help'.", "kb.weights.git_lfs_pointer", ["git-lfs"]),
    ("RuntimeError: PytorchStreamReader failed reading file data/0: invalid header or archive is corrupted",
     "kb.weights.torch_archive_corrupt", ["invalid header or archive is corrupted"]),
    ("RuntimeError: unexpected EOF, expected 3530 more bytes. The file might be corrupted.",
     "kb.weights.torch_archive_corrupt", ["3530 more bytes"]),
    ("_pickle.UnpicklingError: invalid load key, '\\x00'.", "kb.weights.pickle_not_a_checkpoint", ["\\x00"]),
    ("safetensors_rust.SafetensorError: Error while deserializing header: header too large",
     "kb.weights.safetensors_truncated", ["LFS"]),
    ("tarfile.ReadError: unexpected end of data", "kb.data.archive_corrupt", ["unexpected end of data"]),
    ("gzip: stdin: unexpected end of file", "kb.data.archive_corrupt", ["stdin: unexpected end of file"]),
    ("RuntimeError: Internal: src/sentencepiece_processor.cc(1101) [model_proto->ParseFromArray(serialized.data(), "
     "serialized.size())]", "kb.weights.sentencepiece_model_unreadable", ["LFS"]),
    ("RuntimeError: NOT_FOUND: \"/models/qwen/tokenizer.model\": No such file or directory",
     "kb.weights.tokenizer_file_missing", ["/models/qwen/tokenizer.model"]),
    ("Exception: data did not match any variant of untagged enum PyPreTokenizerTypeWrapper at line 69 column 3",
     "kb.weights.tokenizer_json_newer_format", ["PyPreTokenizerTypeWrapper", "tokenizers"]),
    # the operating system
    ("OSError: [Errno 28] No space left on device: '/dev/shm/pym-1234-abcd'", "kb.runtime.dataloader_shm_exhausted",
     ["64 MB"]),
    ("RuntimeError: unable to write to file </torch_4113_2760432187_3>: No space left on device (28)",
     "kb.runtime.dataloader_shm_exhausted", ["/dev/shm"]),
    ("mkdir: cannot create directory ‘/workspace/output’: Read-only file system",
     "kb.environment.readonly_filesystem", ["/workspace/output"]),
    ("libgomp: Thread creation failed: Resource temporarily unavailable", "kb.environment.thread_limit_reached",
     ["ulimit -u"]),
    ("-bash: ./run_distribute.sh: /bin/bash^M: bad interpreter: No such file or directory",
     "kb.launch.script_crlf_line_endings", ["CRLF"]),
    ("/bin/sh: 1: torchrun: not found", "kb.environment.command_not_found", ["torchrun", "PATH"]),
    ("CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://repo.anaconda.com/pkgs/main/linux-aarch64/"
     "current_repodata.json>", "kb.environment.host_unreachable", ["repo.anaconda.com"]),
    ("W: Temporary failure resolving 'ports.ubuntu.com'", "kb.environment.host_unreachable", ["ports.ubuntu.com"]),
    ("datasets.exceptions.DatasetNotFoundError: Dataset 'meta-llama/private-eval' is a gated dataset on the Hub. "
     "You must be authenticated to access it.", "kb.weights.hf_gated_repo", ["meta-llama/private-eval"]),
    ("datasets.exceptions.DatasetNotFoundError: Dataset 'org/instruct-zh' doesn't exist on the Hub or cannot be "
     "accessed.", "kb.data.hf_dataset_not_found", ["org/instruct-zh"]),
    ("ERROR: HTTP error 403 while getting https://example.com/wheels/torch_npu-2.1.0-cp310-cp310-linux_x86_64.whl",
     "kb.environment.pip_url_not_found", ["403", "torch_npu-2.1.0-cp310"]),
    ("OSError: [Errno 5] Input/output error: '/mnt/obs/dataset/part-0001.parquet'", "kb.environment.storage_io_error",
     ["Input/output error"]),
    ("cp: error writing '/home/ma-user/work/ckpt/rank_0/net.ckpt': Disk quota exceeded",
     "kb.runtime.disk_quota_exceeded", ["quota"]),
    ("WARNING: The requested image's platform (linux/amd64) does not match the detected host platform "
     "(linux/arm64/v8) and no specific platform was requested", "kb.environment.docker_image_platform",
     ["linux/amd64"]),
    ("× Cannot uninstall blinker 1.4", "kb.environment.pip_cannot_uninstall", ["blinker"]),
    ("curl: (60) SSL certificate problem: certificate is not yet valid", "kb.environment.certificate_time_invalid",
     ["clock"]),
    ("urllib.error.URLError: <urlopen error timed out>", "kb.environment.runtime_download_failed", ["timed out"]),
    ("OSError: Unable to load weights from pytorch checkpoint file for '/models/bert/pytorch_model.bin' at "
     "'/models/bert/pytorch_model.bin'. If you tried to load a PyTorch model from a TF 2.0 checkpoint, please set "
     "from_tf=True.", "kb.weights.torch_archive_corrupt", ["/models/bert/pytorch_model.bin"]),
    ("OSError: Can't load the configuration of '/data/models/Qwen2-7B'. If you were trying to load it from "
     "'https://huggingface.co/models', make sure you don't have a local directory with the same name.",
     "kb.weights.hf_path_invalid", ["/data/models/Qwen2-7B"]),
    ("OSError: Error no file named pytorch_model.bin, model.safetensors, tf_model.h5, model.ckpt.index or "
     "flax_model.msgpack found in directory /data/models/llama.", "kb.weights.hf_path_invalid", ["/data/models/llama"]),
    ("huggingface_hub.errors.HFValidationError: Repo id must use alphanumeric chars, '-', '_' or '.'. The name cannot "
     "start or end with '-' or '.' and the maximum length is 96: './models/Qwen2-7B'.",
     "kb.serving.model_path_taken_for_repo_id", ["./models/Qwen2-7B"]),
    ("RuntimeError: unable to open shared memory object </torch_5813_3711437042_998> in read-write mode: Too many "
     "open files (24)", "kb.runtime.torch_fd_sharing_exhausted", ["ulimit -n"]),
    ("_pickle.UnpicklingError: pickle data was truncated", "kb.data.pickle_file_empty", ["empty or cut short"]),
    ("OSError: [Errno 99] Cannot assign requested address", "kb.launch.bind_address_not_local", ["MASTER_ADDR"]),
    ("sh: 1: ./train.sh: Permission denied", "kb.launch.script_not_executable", ["./train.sh"]),
    ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
     "kb.environment.docker_daemon_unreachable", ["Docker"]),
    ("Host key verification failed.", "kb.launch.ssh_login_failed", ["known_hosts"]),
    ("ssh: connect to host 10.0.0.2 port 22: Connection refused", "kb.launch.ssh_login_failed", ["sshd"]),
    ("/usr/bin/env: python3.10: No such file or directory", "kb.environment.env_interpreter_missing", ["python3.10"]),
    ("ValueError: check_hostname requires server_hostname", "kb.environment.proxy_scheme_speaks_tls", ["https://"]),
    ("huggingface_hub.errors.OfflineModeIsEnabled: Cannot reach https://huggingface.co/api/models/Qwen/Qwen2-7B: "
     "offline mode is enabled. To disable it, please unset the `HF_HUB_OFFLINE` environment variable.",
     "kb.weights.hf_offline_file_missing", ["HF_HUB_OFFLINE"]),
    ("requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='hf-mirror.com', port=443): Read timed out. "
     "(read timeout=10)", "kb.environment.host_unreachable", ["hf-mirror.com"]),
    ("requests.exceptions.ChunkedEncodingError: (\"Connection broken: IncompleteRead(1048576 bytes read, 2097152 "
     "more expected)\", IncompleteRead(1048576 bytes read, 2097152 more expected))", "kb.weights.download_incomplete",
     ["incomplete"]),
    ("OSError: Unable to synchronously open file (file signature not found)", "kb.data.archive_corrupt",
     ["file signature not found"]),
    ("  File \"/usr/local/lib/python3.9/site-packages/PIL/ImageFile.py\", line 411, in load\n"
     "OSError: Truncated File Read", "kb.data.image_file_damaged", ["Truncated File Read"]),
    ("OSError: image file is truncated (37 bytes not processed)", "kb.data.image_file_damaged", ["37 bytes"]),
    ("ValueError: Cannot load file containing pickled data when allow_pickle=False",
     "kb.data.numpy_pickle_disallowed", ["allow_pickle"]),
    ("cv2.error: OpenCV(4.5.4) /tmp/opencv/modules/imgproc/src/resize.cpp:4051: error: (-215:Assertion failed) "
     "!ssize.empty() in function 'resize'", "kb.data.opencv_image_not_read", ["resize"]),
    ("Host key verification failed.\nfatal: Could not read from remote repository.",
     "kb.environment.git_ssh_login_failed", ["known_hosts"]),
    ("requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by "
     "peer'))", "kb.environment.tls_connection_cut", ["proxy"]),
    ("      error: Microsoft Visual C++ 14.0 or greater is required. Get it with \"Microsoft C++ Build Tools\"",
     "kb.environment.build_no_compiler", ["Microsoft Visual C++ 14.0"]),
    ("fatal: unable to access 'https://gitee.com/ascend/ModelZoo-PyTorch.git/': The requested URL returned error: 403",
     "kb.environment.download_url_not_found", ["403"]),
    ("remote: Repository not found.\nfatal: repository 'https://github.com/org/missing-repo.git/' not found",
     "kb.environment.download_url_not_found", ["https://github.com/org/missing-repo.git/"]),
    ("ERROR: File \"setup.py\" or \"setup.cfg\" not found. Directory cannot be installed in editable mode: "
     "/home/user/code", "kb.environment.pip_not_a_project_dir", ["/home/user/code"]),
    ("RuntimeError: Too many open files. Communication with the workers is no longer possible. Please increase the "
     "limit using `ulimit -n` in the shell", "kb.runtime.torch_fd_sharing_exhausted", ["ulimit -n"]),
    ("OSError: [Errno 95] Operation not supported: '/mnt/obs/hf_cache/models--Qwen--Qwen2-7B/snapshots/abc'",
     "kb.environment.fs_operation_unsupported", ["NFS"]),
    ("Error: exec: \"ssh\": executable file not found in $PATH", "kb.environment.executable_not_found", ["ssh"]),
])
def test_another_member_of_the_family_is_named(tmp_path, line, rule, words):
    assert_root_cause_says(diagnose_text(tmp_path, line), rule, words)


@pytest.mark.parametrize("text, specific", [
    # The build output's own reason is the cause; pip's summary lines below it are the catch-all.
    ("      error: command 'gcc' failed: No such file or directory\n      [end of output]\n"
     "  ERROR: Failed building wheel for jieba-fast", "kb.environment.build_no_compiler"),
    # Hugging Face's own host: the hub rule with its mirror and offline advice, not the any-host one.
    ("requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries "
     "exceeded with url: /api/models/x (Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection>, "
     "'Connection to huggingface.co timed out. (connect timeout=10)'))", "kb.weights.hf_hub_unreachable"),
    # A pip line about the index: the index rule, not the any-host one.
    ("ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='files.pythonhosted.org', "
     "port=443): Max retries exceeded with url: /packages/x.whl (Caused by ReadTimeoutError(\"HTTPSConnectionPool("
     "host='files.pythonhosted.org', port=443): Read timed out. (read timeout=15)\"))",
     "kb.environment.package_index_unreachable"),
    # A torch .bin loaded through transformers: the LFS pointer is the cause of the error transformers rewrites.
    ("_pickle.UnpicklingError: invalid load key, 'v'.\n\nDuring handling of the above exception, another exception "
     "occurred:\nOSError: Unable to load weights from pytorch checkpoint file for '/m/pytorch_model.bin' at "
     "'/m/pytorch_model.bin'. If you tried to load a PyTorch model from a TF 2.0 checkpoint, please set "
     "from_tf=True.", "kb.weights.git_lfs_pointer"),
    # A standard module missing from a self-built Python: not a package pip could install.
    ("ModuleNotFoundError: No module named '_ctypes'", "kb.environment.python_built_without_module"),
    # The worker's own signal names the cause; the shell's bare Killed is the catch-all.
    ("RuntimeError: DataLoader worker (pid 3061) is killed by signal: Killed", "kb.runtime.dataloader_worker_oom_killed"),
    # A proxy written as https:// on Hugging Face's host: the TLS rule names the fix, not the hub's mirror advice.
    ("requests.exceptions.SSLError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded with "
     "url: /api/models/x (Caused by SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number "
     "(_ssl.c:1129)')))", "kb.environment.proxy_scheme_speaks_tls"),
    # A TLS connection cut on Hugging Face's host: the hub rule (mirror, offline) rather than the any-server one.
    ("requests.exceptions.SSLError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded with "
     "url: /api/models/x (Caused by SSLError(SSLEOFError(8, 'EOF occurred in violation of protocol (_ssl.c:997)')))",
     "kb.weights.hf_hub_unreachable"),
    # A certificate the machine does not trust: the certificate rule's advice, whoever downloads.
    ("urllib.error.URLError: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
     "local issuer certificate (_ssl.c:1129)>", "kb.environment.package_index_unreachable"),
    # OpenCV's graphics libraries: the headless-build advice, not the any-library one.
    ("  File \"/usr/local/lib/python3.9/site-packages/cv2/__init__.py\", line 181, in bootstrap\n"
     "ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
     "kb.environment.opencv_needs_libgl"),
    # The parse error names the cause; datasets' summary below it is a consequence.
    ("pyarrow.lib.ArrowInvalid: JSON parse error: Missing a comma or '}' after an object member. in row 1\n"
     "datasets.exceptions.DatasetGenerationError: An error occurred while generating the dataset",
     "kb.data.json_dataset_unparsable"),
    # python missing behind /usr/bin/env: the rule that also knows Python 2 on PATH.
    ("/usr/bin/env: 'python': No such file or directory", "kb.environment.ms_python_is_python2"),
    # Python's own thread-start failure: the data pipeline's thread-limit rule.
    ("RuntimeError: can't start new thread", "kb.data.thread_limit"),
    # npu-smi missing: the driver-and-container rule, not the any-program one.
    ("FileNotFoundError: [Errno 2] No such file or directory: 'npu-smi'", "kb.environment.npu_smi_missing"),
    # A full disk that is not shared memory stays the disk rule.
    ("OSError: [Errno 28] No space left on device: '/home/ma-user/work/ckpt/rank_0/net.ckpt'", "kb.runtime.disk_full"),
])
def test_a_rule_that_knows_the_line_wins(tmp_path, text, specific):
    report = diagnose_text(tmp_path, text)
    assert report.root_cause is not None and report.root_cause.rule == specific, [f.rule for f in report.findings]


@pytest.mark.parametrize("line, rule", [
    # msrun's benign start-up retries share words with the connection rule
    ("[WARNING] DISTRIBUTED(1,ffff,python):2025-01-01 [tcp_client.cc:99] Connect] Failed to connect to the tcp "
     "server 127.0.0.1:8118, retry(3/60).", "kb.environment.host_unreachable"),
    ("[INFO] loaded tokenizer.model from /models/qwen (sentencepiece), vocab 151646", 
     "kb.weights.sentencepiece_model_unreadable"),
    ("[INFO] DataLoader worker (pid 4188) started", "kb.runtime.dataloader_worker_exited"),
    ("[INFO] pickle cache ready: 0 items of ancdata buffered", "kb.runtime.torch_fd_sharing_exhausted"),
    ("Successfully built tokenizers", "kb.environment.pip_build_failed"),
    # spawn-start children failing to unpickle: not an empty file
    ("  File \"/usr/lib/python3.10/multiprocessing/spawn.py\", line 126, in _main\n"
     "    self = reduction.pickle.load(from_parent)\nEOFError: Ran out of input", "kb.data.pickle_file_empty"),
    ("_pickle.UnpicklingError: invalid load key, 'v'.", "kb.weights.pickle_not_a_checkpoint"),
    ("ModuleNotFoundError: No module named 'torch'", "kb.environment.build_isolation_lacks_module"),
    ("OSError: [Errno 28] No space left on device: '/data/out/ckpt.pt'", "kb.runtime.dataloader_shm_exhausted"),
    # A broken line continuation and CRLF endings have their own rules; neither names a missing program.
    ("run.sh: line 4: --model_name_or_path: command not found", "kb.environment.command_not_found"),
    ("run.sh: line 2: $'\\r': command not found", "kb.environment.command_not_found"),
    ("[INFO] 2 stale workers were Killed by the watchdog, restarting", "kb.runtime.process_killed"),
    ("[WARNING] Resource usage not found. Skipping the memory report.", "kb.data.nltk_resource_missing"),
    ("PermissionError: [Errno 13] Permission denied: '/data/ckpt/rank_0'", "kb.launch.script_not_executable"),
    # git over ssh is not a launch between nodes
    ("git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.",
     "kb.launch.ssh_login_failed"),
    # a TorchScript archive without the record torch.load looks for is not a damaged file
    ("RuntimeError: PytorchStreamReader failed locating file constants.pkl: file not found",
     "kb.weights.torch_archive_corrupt"),
    # torch's benign IPv6 localhost retry in runs that work
    # older pip's setup.py install fallback after a failed wheel build, which then succeeded
    ("  ERROR: Failed building wheel for jieba\nFailed to build jieba\nInstalling collected packages: jieba\n"
     "  Running setup.py install for jieba ... done\nSuccessfully installed jieba-0.42.1",
     "kb.environment.pip_build_failed"),
    # pip retrying by itself after a dropped connection is not the failure either
    ("WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken "
     "by 'ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))': /simple/x/",
     "kb.environment.tls_connection_cut"),
    # huggingface_hub resuming a cut download by itself is not the failure
    ("huggingface_hub.file_download - WARNING - Error while downloading from https://cdn-lfs.hf.co/x: "
     "('Connection broken: IncompleteRead(1048576 bytes read, 2097152 more expected)', IncompleteRead(1048576 bytes "
     "read, 2097152 more expected))\nTrying to resume download...", "kb.weights.download_incomplete"),
    ("[W socket.cpp:601] [c10d] The client socket has failed to connect to [localhost]:29500 (errno: 99 - Cannot "
     "assign requested address).", "kb.launch.bind_address_not_local"),
])
def test_look_alike_lines_do_not_fire(tmp_path, line, rule):
    report = diagnose_text(tmp_path, line)
    assert rule not in {finding.rule for finding in report.findings}
