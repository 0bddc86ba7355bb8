"""S3 throughput: boto3 ``upload_file`` / ``download_file`` of one large object against jobforge,
against moto's S3 server, and a raw file copy on the same disk, in one run.

    python bench/s3.py [--size-mib 1024]

Each target gets the same file (random bytes) with boto3's default transfer config (multipart
above 8 MiB, 10 threads). Prints MB/s per direction, the ratios jobforge/moto and jobforge/raw
copy, and the jobforge server's peak RSS during its transfers (its VmHWM, reset just before).
The same upload against a do-nothing endpoint (bench/null_s3.py) gives the client's own ceiling,
and the CPU seconds of client and server during each upload show where the time goes.
Goals (issue #13): >= 3x moto, >= 0.5 of the raw copy, server RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import PYTHON, ChildServer, client, free_port, status_kb

MB = 1000 * 1000  # MB/s in decimal megabytes, as disk and network tools print them
MIB = 1024 * 1024
BUCKET = "bench-s3"
GOAL_VS_MOTO = 3.0
GOAL_VS_RAW = 0.5
GOAL_RSS_MB = 300


@dataclass
class Transfer:
    upload_mb_s: float
    download_mb_s: float
    upload_client_cpu_s: float  # this process's CPU time during the upload (boto3's share)
    upload_server_cpu_s: float | None = None  # the server's, when its pid is known


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _write_source(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for offset in range(0, size, MIB):
            out.write(os.urandom(min(MIB, size - offset)))


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _upload(url: str, source: Path, server_pid: int | None) -> tuple[float, float, float | None]:
    """(seconds, client CPU seconds, server CPU seconds or None) of one ``upload_file``."""
    s3 = client("s3", url)
    s3.create_bucket(Bucket=BUCKET)
    client_cpu = _cpu_seconds()
    server_cpu = _process_cpu_seconds(server_pid) if server_pid is not None else 0.0
    seconds = _timed(lambda: s3.upload_file(str(source), BUCKET, "big.bin"))
    client_cpu = _cpu_seconds() - client_cpu
    if server_pid is None:
        return seconds, client_cpu, None
    return seconds, client_cpu, _process_cpu_seconds(server_pid) - server_cpu


def boto3_transfer(url: str, source: Path, work: Path, server_pid: int | None = None) -> Transfer:
    """Upload ``source`` and download it back; the copy must match byte for byte."""
    up, client_cpu, server_cpu = _upload(url, source, server_pid)
    s3 = client("s3", url)
    size = source.stat().st_size
    target = work / "downloaded"
    down = _timed(lambda: s3.download_file(BUCKET, "big.bin", str(target)))
    if target.stat().st_size != size or not _same(source, target):
        raise RuntimeError(f"{url}: the downloaded object differs from the uploaded file")
    target.unlink()
    return Transfer(size / MB / up, size / MB / down, client_cpu, server_cpu)


def _same(a: Path, b: Path) -> bool:
    with a.open("rb") as left, b.open("rb") as right:
        while chunk := left.read(8 * MIB):
            if chunk != right.read(len(chunk)):
                return False
    return True


class PeakRss:
    """A process's peak RSS in MB over a ``with`` block: psutil's RSS sampled every 20 ms when
    psutil is installed, else the kernel's VmHWM (reset at the start through ``clear_refs``)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        try:
            import psutil
        except ImportError:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := current RSS
            return self
        process = psutil.Process(self.pid)

        def sample() -> None:
            while not self._done.wait(0.02):
                self.peak_mb = max(self.peak_mb, process.memory_info().rss / MIB)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        else:
            self.peak_mb = status_kb(self.pid, "VmHWM") / 1024


def jobforge(source: Path, work: Path) -> tuple[Transfer, float]:
    """(throughput, the server's peak RSS in MB during the transfers)."""
    port = free_port()
    data_dir = work / "jobforge-data"
    argv = [PYTHON, "-m", "jobforge.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    url = f"http://127.0.0.1:{port}"
    with ChildServer(argv, f"{url}/_jobforge/health") as child:
        assert child.process is not None
        with PeakRss(child.process.pid) as rss:
            result = boto3_transfer(url, source, work, child.process.pid)
    shutil.rmtree(data_dir, ignore_errors=True)
    return result, rss.peak_mb


def moto(source: Path, work: Path) -> Transfer:
    port = free_port()
    moto_server = shutil.which("moto_server") or str(Path(PYTHON).with_name("moto_server"))
    argv = [moto_server, "-H", "127.0.0.1", "-p", str(port)] if Path(moto_server).exists() else [
        PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with ChildServer(argv, f"{url}/") as child:
        assert child.process is not None
        return boto3_transfer(url, source, work, child.process.pid)


def null_upload(source: Path) -> tuple[float, float]:
    """(MB/s, client CPU seconds) of the upload against a do-nothing endpoint (bench/null_s3.py):
    the most any server can give this client on this machine."""
    port = free_port()
    argv = [PYTHON, "-m", "uvicorn", "null_s3:app", "--port", str(port), "--no-access-log"]
    argv += ["--log-level", "warning", "--app-dir", str(Path(__file__).resolve().parent)]
    url = f"http://127.0.0.1:{port}"
    with ChildServer(argv, url):
        seconds, client_cpu, _ = _upload(url, source, None)
    return source.stat().st_size / MB / seconds, client_cpu


def raw_copy(source: Path, work: Path) -> float:
    """MB/s of ``shutil.copyfile`` of the same file on the same disk (flushed to the disk)."""
    target = work / "raw-copy"

    def copy() -> None:
        shutil.copyfile(source, target)
        with target.open("rb+") as written:
            os.fsync(written.fileno())

    seconds = _timed(copy)
    target.unlink()
    return source.stat().st_size / MB / seconds


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="object size (default 1024 = 1 GiB)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    try:
        source = work / "source.bin"
        _write_source(source, args.size_mib * MIB)
        raw = raw_copy(source, work)
        ours, peak = jobforge(source, work)
        theirs = moto(source, work)
        ceiling, ceiling_cpu = null_upload(source)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"object: {args.size_mib} MiB, boto3 default transfer config, temp dir on {work.parent}")
    print(f"raw file copy          {raw:8.1f} MB/s")
    for name, result in (("jobforge", ours), ("moto", theirs)):
        server = result.upload_server_cpu_s
        print(
            f"{name:9} upload {result.upload_mb_s:8.1f} MB/s   download {result.download_mb_s:8.1f} MB/s"
            f"   upload CPU: client {result.upload_client_cpu_s:.2f} s"
            + (f", server {server:.2f} s" if server is not None else "")
        )
    print(
        f"do-nothing endpoint upload {ceiling:8.1f} MB/s (client CPU {ceiling_cpu:.2f} s): the client's "
        f"ceiling, {ceiling / theirs.upload_mb_s:.2f}x moto, {ceiling / raw:.2f} of the raw copy"
    )
    for direction in ("upload", "download"):
        mine = getattr(ours, f"{direction}_mb_s")
        vs_moto = mine / getattr(theirs, f"{direction}_mb_s")
        vs_raw = mine / raw
        print(
            f"{direction:8}: jobforge/moto {vs_moto:5.2f} (goal >= {GOAL_VS_MOTO:g}: "
            f"{_verdict(vs_moto >= GOAL_VS_MOTO)})   jobforge/raw copy {vs_raw:5.2f} "
            f"(goal >= {GOAL_VS_RAW:g}: {_verdict(vs_raw >= GOAL_VS_RAW)})"
        )
    print(
        f"jobforge server peak RSS during the transfers: {peak:.0f} MB "
        f"(goal < {GOAL_RSS_MB} MB: {_verdict(peak < GOAL_RSS_MB)})"
    )


if __name__ == "__main__":
    main()
