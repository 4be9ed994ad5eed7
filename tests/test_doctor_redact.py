"""Secrets never leave the machine: names that look like credentials are masked in every output."""

from __future__ import annotations

import json
import sys

import pytest
from support import run_cli

from mindpilot.redact import MASK, is_secret_name, redact_document, redact_env, secret_values


@pytest.mark.parametrize("name", [
    "OBS_ACCESS_KEY_ID", "OBS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "MA_AK", "MA_SK", "HF_TOKEN",
    "MODELSCOPE_API_TOKEN", "MYSQL_PASSWORD", "GITHUB_PAT", "api_key", "S3_SECRET", "OPENAI_APIKEY",
    "MINIO_ROOT_PASSWORD", "HUAWEICLOUD_SDK_AK", "X_AUTH_TOKEN", "DB_PASSWD", "PRIVATE_KEY_PATH",
])
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", [
    "PATH", "PWD", "OLDPWD", "HOME", "ASCEND_HOME_PATH", "PYTHONPATH", "MA_NOTEBOOK_NAME", "LD_LIBRARY_PATH",
    "SSH_AUTH_SOCK", "HCCL_CONNECT_TIMEOUT", "RANK_TABLE_FILE", "MS_ALLOC_CONF", "TASK_NAME",
])
def test_ordinary_names(name):
    assert not is_secret_name(name)


def test_values_are_masked_wherever_they_appear():
    environ = {"OBS_SECRET_ACCESS_KEY": "s3cr3t-value-42", "HOME": "/root", "MA_SK": "ab"}
    secrets = secret_values(environ)
    assert secrets == ["s3cr3t-value-42"]  # too-short values are not hunted in other text
    document = {"env": {"X": "prefix s3cr3t-value-42 suffix"}, "list": ["s3cr3t-value-42", 3, None]}
    assert redact_document(document, secrets) == {"env": {"X": f"prefix {MASK} suffix"}, "list": [MASK, 3, None]}
    assert redact_env(environ) == {"OBS_SECRET_ACCESS_KEY": MASK, "HOME": "/root", "MA_SK": MASK}


def test_passwords_in_urls_are_masked():
    assert redact_document("pip install https://user:pa55@mirror.example/x.whl", []) == \
        f"pip install https://{MASK}@mirror.example/x.whl"


def test_doctor_json_and_text_never_print_a_secret(tmp_path):
    secret = "AKDOCTORTEST0123456789"
    carrier = tmp_path / f"site-{secret}"  # the secret also ends up in a sys.path entry
    carrier.mkdir()
    env = {"OBS_ACCESS_KEY_ID": secret, "MA_SECRET_KEY": "another-Secret-99", "PYTHONPATH": str(carrier),
           "ASCEND_DEBUG_TOKEN": secret}
    for args in (("doctor", "--json"), ("doctor",), ("doctor", "--json", "--python", sys.executable)):
        done = run_cli(*args, env=env)
        assert done.returncode in (0, 1), done.stderr
        assert secret not in done.stdout + done.stderr
        assert "another-Secret-99" not in done.stdout + done.stderr
    report = json.loads(run_cli("doctor", "--json", env=env).stdout)
    assert report["environment"]["env"]["OBS_ACCESS_KEY_ID"] == MASK
    assert report["environment"]["env"]["PYTHONPATH"] == str(carrier).replace(secret, MASK)


def test_the_demo_shows_its_obs_key_masked():
    done = run_cli("doctor", "--demo", "--json")
    assert "demo-secret-not-real" not in done.stdout and "DEMOAKNOTAREALKEY" not in done.stdout
    env = json.loads(done.stdout)["environment"]["env"]
    assert env["OBS_SECRET_ACCESS_KEY"] == MASK and env["OBS_ACCESS_KEY_ID"] == MASK


def test_probe_failure_messages_are_redacted_too(tmp_path):
    secret = "tok-ABCDEF-123456"
    missing = tmp_path / secret / "python"
    done = run_cli("doctor", "--python", str(missing), env={"HF_TOKEN": secret})
    assert done.returncode == 3
    assert secret not in done.stderr and MASK in done.stderr
