"""Load test: simulated users asking through the app's API (gradio_client), against the app on 127.0.0.1 only.

    python bench/load.py                          # 20 users x 25 questions; starts the app on a free port
    python bench/load.py --drift                  # 1,000 questions: server memory after 100 and after 1,000
    python bench/load.py --url http://127.0.0.1:7860/ [--pid PID]   # an app already running (PID: read its memory)

Each user holds a conversation: shipped questions (bench/queries/russia-taliban.jsonl), follow-ups read with the
user's earlier questions, and off-topic ones. Every answer is checked: well-formed (statuses, markers, sentences
verbatim in their cited paragraphs, every citation verified against its file) and the same as the answer the app
gave to the same question asked alone before the load. The run is bounded: each question has a time limit, the
whole run another. The app is started over a copy of the bundled corpus (its index is kept in bench/out/ and
reused); prints one JSON line with errors, p50/p95 latency, throughput and memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(ROOT))

from gradio_client import Client  # noqa: E402

from qa.bench import load_queries, percentiles  # noqa: E402

OUT = ROOT / "bench" / "out"
FOLLOW_UPS = ("And who said that?", "Why?", "When was that?", "What did Moscow say about it?")


def conversation(user: int, length: int, answerable: list[str], off_topic: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """A user's questions, each with the user's earlier questions as its history (follow-ups need them)."""
    asked: list[str] = []
    out = []
    for i in range(length):
        n = user * length + i
        if i % 5 == 1:
            question = FOLLOW_UPS[n % len(FOLLOW_UPS)]
        elif i % 5 == 3:
            question = off_topic[n % len(off_topic)]
        else:
            question = answerable[n % len(answerable)]
        history = tuple(asked[-3:]) if question in FOLLOW_UPS else ()
        out.append((question, history))
        asked.append(question)
    return out


def problems(answer: dict) -> list[str]:
    """What is wrong with an /ask answer (empty when it is well-formed)."""
    found = []
    status = answer.get("status")
    citations = {c["marker"]: c for c in answer.get("citations", [])}
    if status not in ("answered", "partial", "not_in_sources"):
        found.append(f"status {status!r}")
    if sorted(citations) != list(range(1, len(citations) + 1)):
        found.append("markers are not 1..n")
    for c in citations.values():
        if not c.get("verification", {}).get("ok"):
            found.append(f"citation {c.get('passage_id')} does not verify")
    for s in answer.get("sentences", []):
        c = citations.get(s["marker"])
        if c is None or c["text"][s["start"]:s["end"]] != s["text"] or s["text"] not in answer.get("answer", ""):
            found.append(f"sentence {s['text'][:40]!r} is not verbatim in its citation")
    if status == "answered" and not answer.get("sentences"):
        found.append("answered without sentences")
    if status == "not_in_sources" and (answer.get("sentences") or not all(c["weak"] for c in citations.values())):
        found.append("a refusal with answer sentences")
    return found


def essence(answer: dict) -> tuple:
    """What an answer says and cites (compared with the answer given without load)."""
    return (answer.get("status"), answer.get("answer"), tuple(c["passage_id"] for c in answer.get("citations", [])))


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process in MB (Linux /proc), None when unknown."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(timeout: float, launch: tuple[str, ...] = (), name: str = "load") -> tuple[subprocess.Popen, str, Path]:
    """The app over a copy of the bundled corpus on a free port of 127.0.0.1, once its index is ready; `launch`: the
    Python arguments that start it (default: app.py), `name`: its corpus copy and log (the index folder is shared)."""
    corpus = OUT / f"{name}-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns(".*"))
    port = free_port()
    log = OUT / f"{name}-server.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, *(launch or (str(ROOT / "app.py"),)), "--host", "127.0.0.1", "--port", str(port),
                             "--corpus", str(corpus), "--index-dir", str(OUT / "load-index")],
                            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the app exited ({proc.returncode}); see {log}")
        if "ready:" in log.read_text():
            return proc, f"http://127.0.0.1:{port}/", log
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the app was not ready within {timeout:.0f} s; see {log}")


# The bound: memory after 1,000 questions within 10% of memory after the first 100.
MAX_DRIFT_PCT = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an app already running on 127.0.0.1 (default: start one)")
    parser.add_argument("--pid", type=int, help="with --url: the app's process id, to read its memory")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=25, help="questions per user")
    parser.add_argument("--drift", action="store_true", help="ask 1,000 questions; compare memory after 100 and 1,000")
    parser.add_argument("--question-timeout", type=float, default=120.0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="bound on the whole run, in seconds")
    args = parser.parse_args()
    if args.drift:
        args.questions = -(-1000 // args.users)
    OUT.mkdir(parents=True, exist_ok=True)

    proc = None
    if args.url:
        host = urlparse(args.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("the load test only runs against an app on this machine (127.0.0.1)")
        if args.drift and args.pid is None:
            raise SystemExit("--drift with --url needs --pid (the app's process id), to read its memory")
        url, pid = args.url, args.pid
    else:
        proc, url, _ = start_app(timeout=600)
        pid = proc.pid
    try:
        result = run(url, pid, args)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(result))
    failures = verdict(result, args.drift)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    sys.exit(1 if failures else 0)


def verdict(result: dict, drift: bool) -> list[str]:
    """What makes a run fail: any error, malformed or changed answer; with --drift, memory growth over the limit."""
    failures = [f"{result[key]} {key} answers" for key in ("errors", "malformed", "changed") if result[key]]
    if drift:
        pct = result.get("rss_drift_pct")
        if pct is None:
            failures.append("server memory was not measured after 100 and after the last question (the run was cut "
                            "short, or --url was given without --pid)")
        elif pct > MAX_DRIFT_PCT:
            failures.append(f"server memory grew {pct}% from question 100 to the last (limit {MAX_DRIFT_PCT}%)")
    return failures


def run(url: str, pid: int | None, args: argparse.Namespace) -> dict:
    queries = load_queries()
    answerable = [q.question for q in queries if q.answerable]
    off_topic = [q.question for q in queries if not q.answerable]
    plans = [conversation(u, args.questions, answerable, off_topic) for u in range(args.users)]
    total = sum(len(p) for p in plans)

    # The answer to each distinct question, asked alone before the load.
    alone: dict[tuple[str, tuple[str, ...]], tuple] = {}
    warm = Client(url, verbose=False)
    for question, history in {case for plan in plans for case in plan}:
        alone[(question, history)] = essence(warm.predict(question=question, history=list(history), api_name="/ask"))
    rss_start = rss_mb(pid)

    latencies: list[float] = []
    server: list[float] = []  # the engine's own time for each answer (timings_ms.total), without queue and HTTP
    errors: list[str] = []
    malformed: list[str] = []
    changed: list[str] = []
    rss_at: dict[int, float | None] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + args.timeout

    def user(plan: list[tuple[str, tuple[str, ...]]]) -> None:
        client = Client(url, verbose=False)
        for question, history in plan:
            if time.monotonic() > deadline:
                with lock:
                    errors.append("run timeout")
                return
            began = time.perf_counter()
            try:
                job = client.submit(question=question, history=list(history), api_name="/ask")
                answer = job.result(timeout=args.question_timeout)
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            took = time.perf_counter() - began
            wrong = problems(answer)
            with lock:
                latencies.append(took)
                server.append(answer.get("timings_ms", {}).get("total", 0.0))
                if wrong:
                    malformed.append(f"{question!r}: {wrong}")
                if essence(answer) != alone[(question, history)]:
                    changed.append(question)
                done = len(latencies) + len(errors)
                if done in (100, total):
                    rss_at[done] = rss_mb(pid)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        for future in [pool.submit(user, plan) for plan in plans]:
            future.result()
    wall = time.perf_counter() - began

    ordered = sorted(latencies)
    # The same p50/p95 as `python -m qa bench`; none when no question was answered.
    ms = {p: round(v, 1) for p, v in percentiles([1000 * t for t in latencies]).items()} if latencies else {}
    after_100, at_end = rss_at.get(100), rss_at.get(total)
    return {
        "users": args.users, "questions": total, "answered_ok": len(latencies) - len(malformed),
        "errors": len(errors), "malformed": len(malformed), "changed": len(changed),
        "p50_ms": ms.get("p50"), "p95_ms": ms.get("p95"), "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
        "throughput_qps": round(len(latencies) / wall, 2), "wall_s": round(wall, 1),
        "engine_p50_ms": round(statistics.median(server), 1) if server else None,
        "rss_mb": {"start": rss_start, "after_100": after_100, f"after_{total}": at_end},
        "rss_drift_pct": round(100 * (at_end - after_100) / after_100, 1) if after_100 and at_end else None,
        "load_average": os.getloadavg(), "examples": {"errors": errors[:3], "malformed": malformed[:3],
                                                       "changed": changed[:3]},
    }


if __name__ == "__main__":
    main()
