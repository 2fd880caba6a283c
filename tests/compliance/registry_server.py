"""A real registry server (uvicorn in a subprocess) on a loopback socket, for tests and benchmarks.

The parent binds the listening socket (a free port) and hands it to uvicorn with
``--fd``, so a killed server restarts on the same port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from friendshore.compliance.service import ComplianceService, Role
from friendshore.data import keystore
from friendshore.data.registry import Registry

__all__ = ["RegistryServer", "make_tokens"]


def make_tokens(registry_url: str, keys_dir: Path) -> dict[str, str]:
    """Create the members' keys (if missing) and one API key per role; return the tokens."""
    for member in ("EU27", "USA"):
        if member not in keystore.list_keys(keys_dir):
            keystore.generate_key(keys_dir, member)
    with Registry.open(registry_url) as registry:
        service = ComplianceService(registry, keys_dir=keys_dir)
        return {
            "eu": service.create_api_key(Role.ISSUER, "EU27"),
            "us": service.create_api_key(Role.ISSUER, "USA"),
            "auditor": service.create_api_key(Role.AUDITOR, "auditor-1"),
            "applicant": service.create_api_key(Role.APPLICANT, "example-cathode-gmbh"),
        }


class RegistryServer:
    """``uvicorn friendshore.api.registry:registry_app_from_env`` on 127.0.0.1."""

    def __init__(self, registry_url: str, keys_dir: Path, log: Path, *, workers: int = 1) -> None:
        self.registry_url = registry_url
        self.keys_dir = keys_dir
        self.log_path = log
        self.workers = workers
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, *, ready_timeout: float = 120.0) -> None:
        """Start the server and wait until ``/healthz`` answers."""
        env = {
            **os.environ,
            "FRIENDSHORE_REGISTRY": self.registry_url,
            "FRIENDSHORE_KEYS": str(self.keys_dir),
        }
        fd = self.sock.fileno()
        self._log = self.log_path.open("ab")
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "friendshore.api.registry:registry_app_from_env",
            "--fd",
            str(fd),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(
            command, env=env, pass_fds=[fd], stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready: {self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the server (no clean shutdown)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close_log()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Stop the server and close the socket."""
        self.stop()
        self.sock.close()
