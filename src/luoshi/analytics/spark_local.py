"""A local standalone Spark cluster for development and tests: a master and N workers on 127.0.0.1.

Started with ``spark-class`` from the pyspark package (its ``sbin/`` has no start scripts);
each process's id goes into ``<dir>/*.pid`` and its log into ``<dir>/*.log``; ``stop`` ends
exactly those processes (TERM, then KILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _spawn(directory: Path, name: str, args: list[str], env: dict) -> int:
    log = (directory / f"{name}.log").open("ab")
    proc = subprocess.Popen([str(spark_home() / "bin" / "spark-class"), *args], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    (directory / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def _wait_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.5)
    return False


def start(directory: Path, *, workers: int = 2, cores: int = 1, memory: str = "1g", port: int = 7077,
          timeout: float = 120) -> str:
    """Start the master and ``workers`` workers; returns the master URL once the master listens."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if running(directory):
        raise RuntimeError(f"a local Spark cluster is already running from {directory}")
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_DAEMON_MEMORY": os.environ.get("SPARK_DAEMON_MEMORY", "256m"),
           "SPARK_WORKER_DIR": str(directory / "work"), "SPARK_LOG_DIR": str(directory)}
    url = f"spark://127.0.0.1:{port}"
    _spawn(directory, "master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                                 "--webui-port", "0"], env)
    if not _wait_port(port, timeout):
        stop(directory)
        raise RuntimeError(f"the Spark master did not listen on {port} within {timeout:.0f} s (see {directory}/master.log)")
    for n in range(1, workers + 1):
        _spawn(directory, f"worker-{n}", ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
                                          str(cores), "--memory", memory, "--webui-port", "0", url], env)
    _wait_workers(directory, workers, timeout)
    (directory / "master.url").write_text(url)
    return url


def _wait_workers(directory: Path, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    log = directory / "master.log"
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if text.count("Registering worker") >= workers:
            return
        time.sleep(0.5)
    stop(directory)
    raise RuntimeError(f"{workers} Spark workers did not register within {timeout:.0f} s (see {directory})")


def _pids(directory: Path) -> dict[Path, int]:
    out = {}
    for f in sorted(Path(directory).glob("*.pid")):
        try:
            out[f] = int(f.read_text().strip())
        except ValueError:
            f.unlink(missing_ok=True)
    return out


def _alive(pid: int) -> bool:
    try:  # reap our own child first (a cluster started by this process), else a zombie looks alive
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(directory: Path) -> list[int]:
    return [pid for pid in _pids(directory).values() if _alive(pid)]


def stop(directory: Path, grace: float = 15) -> int:
    """End the processes whose ids are in the pid files (workers first); returns how many were running."""
    pids = _pids(directory)
    order = sorted(pids.items(), key=lambda item: item[0].name.startswith("master"))
    stopped = 0
    for _f, pid in order:
        if _alive(pid):
            stopped += 1
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids.values()):
        time.sleep(0.3)
    for f, pid in pids.items():
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        f.unlink(missing_ok=True)
    (Path(directory) / "master.url").unlink(missing_ok=True)
    return stopped
