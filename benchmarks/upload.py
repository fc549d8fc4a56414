"""A ~100 MB COLLECTION .txt uploaded through the Unggah page, with the server's memory watched.

    python benchmarks/upload.py [--file build/bench/Collection-100MB-2025.txt]

Starts the real server (``python -m sunter_dash serve --no-demo``) on a fresh SQLite
database, signs in as admin in headless Chromium, drops the file on the page, waits
for its preview, clicks "Muat semua" and waits for the result. Meanwhile it samples
the resident memory of the server process and of the background worker it spawns,
every 50 ms. Prints the phases' times and both peaks (and the server's VmHWM).
The file is the one benchmarks/ingest.py builds from the demo world.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-upload-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MemoryWatch:
    """Peak RSS of a process and, separately, of its descendants (the upload worker)."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.server_peak = self.worker_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.server_peak = max(self.server_peak, self.process.memory_info().rss)
                for child in self.process.children(recursive=True):
                    try:
                        self.worker_peak = max(self.worker_peak, child.memory_info().rss)
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "build" / "bench" / "Collection-100MB-2025.txt")
    args = parser.parse_args()
    if not args.file.exists():
        raise SystemExit(f"{args.file} is missing: run benchmarks/ingest.py first (it builds it).")

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    work = Path(tempfile.mkdtemp(prefix="sunter-upload-bench-"))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'bench.db'}", "SUNTER_ADMIN_PASSWORD": PASSWORD,
           "SECRET_KEY": "upload-benchmark"}
    server = subprocess.Popen([sys.executable, "-m", "sunter_dash", "serve", "--no-demo", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--window-size=1280,900"):
        options.add_argument(flag)
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        size_mb = args.file.stat().st_size / 1048576
        print(f"file: {args.file.name}, {size_mb:.1f} MB; server pid {server.pid}, idle RSS "
              f"{psutil.Process(server.pid).memory_info().rss / 1048576:.0f} MB")
        driver.get(f"{base}/login?next=/?tab=upload")
        driver.find_element(By.ID, "username").send_keys("admin")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-submit").click()
        wait = WebDriverWait(driver, 600, poll_frequency=0.2)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-drop input[type=file]"))
        with MemoryWatch(server.pid) as memory:
            started = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, "#upload-drop input[type=file]").send_keys(str(args.file))
            wait.until(lambda d: args.file.name in d.find_element(By.ID, "upload-staged-grid").text)
            staged = time.perf_counter()
            driver.find_element(By.ID, "upload-start").click()
            seen_progress = set()

            def finished(d):
                seen_progress.add(d.find_element(By.ID, "upload-progress").text.split("\n")[-1])
                return "Hasil" in d.find_element(By.ID, "upload-results").text
            wait.until(finished)
            loaded = time.perf_counter()
        result = driver.find_element(By.ID, "upload-results").text.replace("\n", " | ")
        print(f"sent and previewed in {staged - started:.1f} s; loaded in {loaded - staged:.1f} s "
              f"(total {loaded - started:.1f} s)")
        print(f"progress seen: {sorted(p for p in seen_progress if p)}")
        print(f"result: {result}")
        print(f"peak RSS: server {memory.server_peak / 1048576:.0f} MB (VmHWM {vm_hwm_mb(server.pid):.0f} MB), "
              f"upload worker {memory.worker_peak / 1048576:.0f} MB")
    finally:
        driver.quit()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
