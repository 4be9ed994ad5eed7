"""QA: multi-node jobs need a master address the other nodes can reach; an empty one is refused."""

from __future__ import annotations

import sys

import pytest
from pydantic import ValidationError

from mindpilot.launch.preflight import pick_free_port, preflight
from mindpilot.presets.preset import Preset


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("print('hi')\n")
    return path


def findings_for(script, **changes):
    values = dict(script=str(script), cards=4, device="cpu", min_free_gb=0.0, log_dir=str(script.parent / "log"),
                  master_port=pick_free_port())
    values.update(changes)
    return [f.rule for f in preflight(Preset(**values), msrun=sys.executable)]


@pytest.mark.parametrize("addr", ["127.0.0.1", "localhost", "127.0.1.1"])
def test_loopback_master_on_several_nodes_is_a_warning(script, addr):
    assert "preflight.master_addr_loopback" in findings_for(script, nodes=2, master_addr=addr)


def test_loopback_is_fine_on_one_node_and_a_real_address_on_several(script):
    assert "preflight.master_addr_loopback" not in findings_for(script, nodes=1)
    assert "preflight.master_addr_loopback" not in findings_for(script, nodes=2, master_addr="192.168.0.10")


@pytest.mark.parametrize("addr", ["", "  ", "192.168.0.10 "])
def test_an_empty_or_spaced_master_address_is_refused(script, addr):
    with pytest.raises(ValidationError, match="master node's IP address"):
        Preset(script=str(script), master_addr=addr)
