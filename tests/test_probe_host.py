"""Host facts read under a fake root: three CANN versions and layouts, driver, devices, npu-smi on PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from mindpilot.validators.probe.ascend import find_cann
from mindpilot.validators.probe.environment import probe_with

NPU_SMI = Path(__file__).parent / "data" / "doctor" / "npu_smi"


def make_tree(root: Path, cann: str, toolkit: str = "/usr/local/Ascend/ascend-toolkit/latest",
              arch: str = "aarch64", driver: str = "24.1.0", cards: int = 8, nnal: bool = False) -> Path:
    """A fake Ascend host under ``root``: install info, driver, /dev/davinci*, optional NNAL."""
    info_dir = root / toolkit.lstrip("/") / f"{arch}-linux"
    info_dir.mkdir(parents=True)
    (info_dir / "ascend_toolkit_install.info").write_text(
        f"package_name=Ascend-cann-toolkit\nversion={cann}\ninnerversion=V100R001C22\narch={arch}\nos=linux\n")
    driver_dir = root / "usr/local/Ascend/driver"
    driver_dir.mkdir(parents=True)
    (driver_dir / "version.info").write_text(f"Version={driver}\nascendhal_version=7.35.19\n")
    dev = root / "dev"
    dev.mkdir()
    for index in range(cards):
        (dev / f"davinci{index}").touch()
    (dev / "davinci_manager").touch()
    if nnal:
        atb = root / "usr/local/Ascend/nnal/atb"
        atb.mkdir(parents=True)
        (atb / "set_env.sh").write_text("export ATB_HOME_PATH=x\n")
    return root


def fake_npu_smi(bin_dir: Path, output_file: Path) -> str:
    """A ``npu-smi`` on PATH that prints a recorded output; returns the PATH value."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "npu-smi"
    script.write_text(f"#!/bin/sh\ncat '{output_file}'\n")
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


def test_cann_8_0_rc3_at_the_default_location_with_npu_smi(tmp_path):
    root = make_tree(tmp_path / "root", "8.0.RC3", driver="24.1.0", cards=2)
    path = fake_npu_smi(tmp_path / "bin", NPU_SMI / "910b_driver_24.1.0.txt")
    facts = probe_with(None, str(root), False, 20.0, {"PATH": path})
    assert facts.cann_version == "8.0.RC3"
    assert facts.cann_path == "/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info"
    assert facts.driver_version == "24.1.0"
    assert facts.davinci_count == 2
    assert facts.npu_count == 2 and facts.hbm_gb_per_card == 32.0
    assert facts.npu_smi == str(tmp_path / "bin" / "npu-smi")
    assert facts.set_env_sourced is False and facts.nnal is False
    assert facts.python.executable == sys.executable


def test_cann_8_3_rc1_found_through_ascend_home_path_on_x86(tmp_path):
    root = make_tree(tmp_path / "root", "8.3.RC1", toolkit="/opt/cann/8.3.RC1", arch="x86_64", nnal=True)
    environ = {"PATH": "/nonexistent", "ASCEND_HOME_PATH": "/opt/cann/8.3.RC1"}
    facts = probe_with(None, str(root), False, 20.0, environ)
    assert facts.cann_version == "8.3.RC1"
    assert facts.cann_home == "/opt/cann/8.3.RC1"
    assert facts.set_env_sourced is True and facts.nnal is True
    assert facts.npus == [] and facts.npu_count == 8  # no npu-smi: device nodes count


def test_cann_9_2_beta_in_an_arm64_linux_directory_as_seed_001_shows(tmp_path):
    root = make_tree(tmp_path / "root", "9.2.0-beta.2", arch="arm64", driver="25.5.0")
    assert find_cann(root, {})[0] == "9.2.0-beta.2"


def test_no_ascend_at_all(tmp_path):
    facts = probe_with(None, str(tmp_path), False, 20.0, {"PATH": "/nonexistent"})
    assert (facts.cann_version, facts.driver_version, facts.davinci_count, facts.npu_count) == (None, None, 0, 0)
    assert facts.modelarts is False


def test_modelarts_is_detected_from_the_home_or_ma_variables(tmp_path):
    (tmp_path / "home" / "ma-user" / "work").mkdir(parents=True)
    facts = probe_with(None, str(tmp_path), False, 20.0, {"PATH": "/nonexistent"})
    assert facts.modelarts is True
    assert facts.host.work_dir == str(tmp_path / "home" / "ma-user" / "work")
    other = probe_with(None, str(tmp_path / "nothing"), False, 20.0, {"PATH": "/x", "MA_NOTEBOOK_NAME": "nb"})
    assert other.modelarts is True


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs /bin/sh")
def test_a_hanging_npu_smi_is_killed_and_noted(tmp_path):
    root = make_tree(tmp_path / "root", "8.2.RC1", cards=1)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "npu-smi").write_text("#!/bin/sh\nsleep 600\n")
    (bin_dir / "npu-smi").chmod(0o755)
    facts = probe_with(None, str(root), False, 3.0, {"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert facts.npus == [] and facts.npu_count == 1
    assert any("did not finish" in note for note in facts.notes)


def test_host_facts_come_from_psutil(tmp_path):
    facts = probe_with(None, str(tmp_path), False, 20.0, {"PATH": "/nonexistent"})
    assert facts.host.cpus and facts.host.cpus >= 1
    assert facts.host.mem_gb and facts.host.mem_gb > 0
    assert facts.host.disk_free_gb is not None


def test_npu_smi_off_path_is_found_where_the_driver_installs_it(tmp_path):
    root = make_tree(tmp_path / "root", "8.2.RC1", cards=1)
    sbin = root / "usr" / "local" / "sbin"
    sbin.mkdir(parents=True)
    (sbin / "npu-smi").write_text(f"#!/bin/sh\n/bin/cat '{NPU_SMI / '910b4_npu2.txt'}'\n")
    (sbin / "npu-smi").chmod(0o755)
    facts = probe_with(None, str(root), False, 20.0, {"PATH": "/nonexistent"})
    assert facts.npu_smi == str(sbin / "npu-smi")
    assert [npu.name for npu in facts.npus] == ["910B4"]
