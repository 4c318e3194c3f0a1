"""`isolde serve`: the runs table, its files, and nothing outside the store directory."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from isolde.serve import DEFAULT_PORT, find_runs
from tests.conftest import ROOT, run_cli
from tests.report.conftest import Runs


@dataclass(frozen=True)
class Server:
    port: int
    stderr: str = ""

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """The raw path goes out as written (no client-side normalisation of .. or %2e)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()


def start_server(store: str, *args: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "isolde", "serve", store, "--port", "0",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        pytest.fail(f"no URL from isolde serve: {line!r} {err}")
    return proc, int(m.group(1))


@pytest.fixture(scope="module")
def server(runs: Runs) -> Iterator[Server]:
    proc, port = start_server(str(runs.store))
    try:
        yield Server(port)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_index_lists_every_run_once_with_verdicts(server: Server, runs: Runs) -> None:
    status, headers, body = server.get("/")
    page = body.decode()
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    rows = re.findall(r'<tr data-path="([^"]+)">', page)
    assert sorted(rows) == sorted(str(p.relative_to(runs.store)) for p in
                                  (runs.register, runs.list_append, runs.bank,
                                   runs.staleness, runs.running))
    assert '<td class="invalid">invalid</td>' in page
    assert '<td class="running">running</td>' in page
    assert "G2-item" in page and "nonlinearizable" in page and "partition" in page
    rel = runs.register.relative_to(runs.store)
    for link in ("report.html", "history", "history.jsonl", "results.json"):
        assert f'href="/runs/{rel}/{link}"' in page


def test_index_filters_and_sorts(server: Server, runs: Runs) -> None:
    page = server.get("/?workload=list-append")[2].decode()
    assert re.findall(r'<tr data-path="([^"]+)">', page) == [
        str(runs.list_append.relative_to(runs.store))]
    page = server.get("/?verdict=running")[2].decode()
    assert len(re.findall(r"<tr data-path=", page)) == 1
    asc = re.findall(r'<tr data-path="([^"]+)">', server.get("/?sort=workload&order=asc")[2]
                     .decode())
    desc = re.findall(r'<tr data-path="([^"]+)">', server.get("/?sort=workload&order=desc")[2]
                      .decode())
    assert asc == desc[::-1] and asc[0].startswith("bank-")


def test_run_files_download_and_paged_history(server: Server, runs: Runs) -> None:
    rel = runs.register.relative_to(runs.store)
    status, headers, body = server.get(f"/runs/{rel}/history.jsonl")
    assert status == 200 and "attachment" in headers["content-disposition"]
    assert body == (runs.register / "history.jsonl").read_bytes()
    status, _, body = server.get(f"/runs/{rel}/results.json")
    assert status == 200 and body == (runs.register / "results.json").read_bytes()
    status, _, body = server.get(f"/runs/{rel}/report.html")
    assert status == 200 and b"INVALID" in body
    page = server.get(f"/runs/{rel}/history?page=1")[2].decode()
    assert "<td>501</td>" in page and "previous" in page
    running = server.get(f"/runs/{runs.running.relative_to(runs.store)}/history")[2].decode()
    assert '{&quot;ind' in running  # the torn last line of a run being written, shown as text
    assert server.get(f"/runs/{rel}/history?page=x")[0] == 400


@pytest.mark.parametrize("path", [
    "/runs/../secret.json",
    "/runs/%2e%2e/secret.json",
    "/runs/%2E%2E%2Fsecret.json",
    "/runs/register-memory/..%2f..%2fsecret.json",
    "/runs//etc/passwd",
    "/runs/%2Fetc%2Fpasswd",
    "/runs/escape/secret.json",  # a symlink in the store directory pointing out of it
    "/../secret.json",
    "/runs/x%00.json",
])
def test_paths_outside_the_store_are_refused(server: Server, runs: Runs, path: str) -> None:
    status, _, body = server.get(path)
    assert status in (403, 404), (path, status)
    assert b"secret" not in body and b"root:" not in body


def test_read_only_and_no_listings(server: Server, runs: Runs) -> None:
    rel = runs.register.relative_to(runs.store)
    for method in ("POST", "PUT", "DELETE"):
        assert server.get(f"/runs/{rel}/results.json", method)[0] == 405
    assert server.get(f"/runs/{rel}")[0] == 404  # a directory
    assert server.get(f"/runs/{rel}/nope.json")[0] == 404


def test_find_runs_does_not_follow_symlinks(runs: Runs) -> None:
    paths = [r.path for r in find_runs(runs.store)]
    assert len(paths) == len(set(paths)) == 5
    assert not any(p.startswith(("latest", "escape")) for p in paths)


def test_bad_store_dir_and_busy_port_are_one_line_254(runs: Runs, tmp_path) -> None:
    p = run_cli("serve", str(tmp_path / "missing"))
    assert p.returncode == 254 and "not a directory" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    proc, port = start_server(str(runs.store))
    try:
        p = run_cli("serve", str(runs.store), "--port", str(port))
        assert p.returncode == 254 and f"127.0.0.1:{port}" in p.stderr, p.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_non_loopback_host_is_warned_about(runs: Runs) -> None:
    """192.0.2.1 (TEST-NET) is not on this machine: the bind fails after the warning, so no
    socket is ever opened beyond loopback."""
    p = run_cli("serve", str(runs.store), "--host", "192.0.2.1", "--port", "0")
    assert "anyone who can reach this machine" in p.stderr
    assert p.returncode == 254
    assert DEFAULT_PORT == 8737
