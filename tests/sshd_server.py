"""A real OpenSSH server on 127.0.0.1 for tests: its own config, port, host key and client key, all in tmp.

Debian's ``openssh-server`` (``.ci/run`` installs it). Skips with the reason when sshd is missing or cannot
start here (e.g. no privilege-separation directory and no right to create it).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Sshd:
    """A running server and how to reach it."""

    port: int
    user: str
    options: list[str]
    """``ssh -o`` options (``Port=...``, ``IdentityFile=...``) for ``launch --ssh-option``."""
    folder: Path

    def argv(self, *remote: str) -> list[str]:
        """``ssh -o ... user@127.0.0.1 -- REMOTE`` (REMOTE is handed to the remote shell as given)."""
        argv = ["ssh", "-T", "-o", "BatchMode=yes"]
        for option in self.options:
            argv += ["-o", option]
        return argv + [f"{self.user}@127.0.0.1", "--", *remote]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sshd(folder: Path):
    """Start sshd in ``folder``; returns ``(Sshd, process)`` or calls ``pytest.skip`` with the reason."""
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
    keygen, client = shutil.which("ssh-keygen"), shutil.which("ssh")
    if not (sshd and keygen and client):
        pytest.skip("OpenSSH is not installed (apt-get install openssh-server openssh-client)")
    privsep = Path("/run/sshd")
    if not privsep.is_dir():
        try:
            privsep.mkdir(mode=0o755, parents=True)
        except OSError as exc:
            pytest.skip(f"sshd needs its privilege-separation directory /run/sshd: {exc}")
    for name in ("host_key", "client_key"):
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {folder / 'host_key'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}", "StrictModes no", "UsePAM no",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password", f"PidFile {folder / 'sshd.pid'}", "LogLevel ERROR", ""]))
    process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=open(folder / "sshd.log", "wb"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.skip(f"sshd cannot run here: {(folder / 'sshd.log').read_text(errors='replace')[-300:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    options = [f"Port={port}", f"IdentityFile={folder / 'client_key'}", "IdentitiesOnly=yes",
               "StrictHostKeyChecking=no", f"UserKnownHostsFile={folder / 'known_hosts'}", "LogLevel=ERROR"]
    return Sshd(port=port, user=getpass.getuser(), options=options, folder=folder), process


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """A module-wide sshd on 127.0.0.1, stopped (by its pid) at the end."""
    server, process = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
