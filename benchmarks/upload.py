"""Files uploaded through the Unggah page, with the server's memory watched.

    python benchmarks/upload.py [--file build/bench/Collection-100MB-2025.txt]
    python benchmarks/upload.py --hostile

The first form uploads a ~100 MB COLLECTION .txt (built by benchmarks/ingest.py). ``--hostile``
builds and uploads, one after the other, the files of the hardening issue that cost most memory:
a 4,000,000-row .xlsx of one NOMEN (42 MB; it loaded as an MC with a 1.6 GB peak before the
readers checked a sheet's extent before reading it), and a crafted 100 MB text file whose every
line ends with a stray delimiter (so it takes the exact, record-by-record reader). Each must be
loaded or refused with the server's and the worker's memory under 2 GB.

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


def build_hostile(folder: Path) -> list[Path]:
    """The two files of ``--hostile`` (built once, kept under ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    one_nomen = folder / "MC_2025-12_4M-rows.xlsx"
    if not one_nomen.exists():
        import openpyxl
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("MC")
        sheet.append(["NOMEN", "ZONA_NOVAK", "NOMINAL"])
        for _ in range(4_000_000):
            sheet.append([60000001, 341511001, 1000])
        book.save(one_nomen)
    stray = folder / "Collection-2025-12_stray-delimiters.txt"
    if not stray.exists():
        line = "|".join(["60012345", "05-12-2025", "-187500", "122025", "T000000001"]) + "|\n"
        with stray.open("w", encoding="utf-8") as out:
            out.write("NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD|NOTAG\n")
            size, i = 0, 0
            while size < 100 * 1024 * 1024 - 4096 - len(line):
                text = line.replace("T000000001", f"T{i:09d}").replace("60012345", f"6{i % 9_000_000:07d}")
                out.write(text)
                size += len(text)
                i += 1
    return [one_nomen, stray]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, action="append")
    parser.add_argument("--hostile", action="store_true", help="the hardening issue's worst files")
    args = parser.parse_args()
    paths = build_hostile(ROOT / "build" / "bench" / "hostile") if args.hostile else (
        args.file or [ROOT / "build" / "bench" / "Collection-100MB-2025.txt"])
    for path in paths:
        if not path.exists():
            raise SystemExit(f"{path} is missing: run benchmarks/ingest.py first (it builds it).")

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
        driver.get(f"{base}/login?next=/?tab=upload")
        driver.find_element(By.ID, "username").send_keys("admin")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-submit").click()
        wait = WebDriverWait(driver, 900, poll_frequency=0.2)
        for path in paths:
            driver.get(f"{base}/?tab=upload")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#upload-drop input[type=file]"))
            size_mb = path.stat().st_size / 1048576
            print(f"file: {path.name}, {size_mb:.1f} MB; server pid {server.pid}, idle RSS "
                  f"{psutil.Process(server.pid).memory_info().rss / 1048576:.0f} MB")
            with MemoryWatch(server.pid) as memory:
                started = time.perf_counter()
                driver.find_element(By.CSS_SELECTOR, "#upload-drop input[type=file]").send_keys(str(path))
                wait.until(lambda d, path=path: path.name in d.find_element(By.ID, "upload-staged-grid").text)
                staged = time.perf_counter()
                driver.find_element(By.ID, "upload-start").click()
                seen_progress = set()

                def finished(d):
                    seen_progress.add(d.find_element(By.ID, "upload-progress").text.split("\n")[-1])
                    return "Hasil" in d.find_element(By.ID, "upload-results").text
                wait.until(finished)
                loaded = time.perf_counter()
            result = driver.find_element(By.ID, "upload-results").text.replace("\n", " | ")
            print(f"  sent and previewed in {staged - started:.1f} s; loaded in {loaded - staged:.1f} s "
                  f"(total {loaded - started:.1f} s)")
            print(f"  progress seen: {sorted(p for p in seen_progress if p)}")
            print(f"  result: {result[:400]}")
            print(f"  peak RSS: server {memory.server_peak / 1048576:.0f} MB (VmHWM {vm_hwm_mb(server.pid):.0f} MB), "
                  f"upload worker {memory.worker_peak / 1048576:.0f} MB")
    finally:
        driver.quit()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
