"""The seeds' errors in their real form, and the live-tail API (``load_kb().matcher().match_line``)."""

from __future__ import annotations

from mindpilot.validators.kb import diagnose_paths, load_kb


def test_seed_diaries_are_recognised(shared_dir):
    seeds = shared_dir / "seeds"
    found = {}
    for seed in sorted(seeds.glob("*.txt")):
        for finding in diagnose_paths([str(seed)], "zh").findings:
            found.setdefault(finding.rule, seed.name[:3])
    assert found["kb.weights.ckpt_path_is_directory"] == "000"       # IsADirectoryError ckpt_file_name
    assert found["kb.environment.pip_option_typo"] == "000"          # pip install --upgrate minspore
    assert found["kb.launch.port_placeholder_script"] == "000"       # msrun_launcher.sh "..." 2 PORT
    assert found["kb.environment.urllib3_default_ciphers"] == "001"  # DEFAULT_CIPHERS
    assert found["kb.weights.model_type_hf_qwen"] == "002"           # 'NoneType' ... 'weight' (--model-type-hf qwen)


def test_match_line_is_the_live_tail_api():
    matcher = load_kb().matcher()
    assert matcher.match_line("2025-08-20 10:05:12,345 - mindformers - INFO - loss: 2.345, overflow cond: False") == []
    hits = matcher.match_line("\x1b[31m[ERROR] DEVICE(1,ffff,python):2025-08-20-10:11:12.345.678 [a.cc:1] "
                              "Out of Memory!!! Request memory size: 1024B\x1b[0m\r")
    assert [(hit.rule, hit.stage, hit.severity.value, hit.consequence) for hit in hits] == \
        [("kb.runtime.device_oom", "runtime", "error", False)]
    finding = hits[0].to_finding("zh", file="worker_3.log", line=12, rank=3)
    assert finding.rule == "kb.runtime.device_oom" and finding.rank == 3 and finding.line == 12
    assert "显存" in finding.title and finding.source


def test_match_line_uses_context_when_given():
    matcher = load_kb().matcher()
    error = "AttributeError: 'NoneType' object has no attribute 'weight'"
    assert matcher.match_line(error) == []
    before = ['  File "/root/MindSpeed-LLM/convert_ckpt.py", line 97, in <module>', "    main()"]
    assert [hit.rule for hit in matcher.match_line(error, before=before)] == ["kb.weights.model_type_hf_qwen"]
