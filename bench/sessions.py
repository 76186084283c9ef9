"""Server memory under many API sessions with the largest inputs, and what the raw upload route leaves on disk.

    python bench/sessions.py [--sessions 150] [--question-chars 1000000 | --fill] [--history 3]

Starts the app over a copy of the bundled corpus (as bench/load.py does), then:
1. sessions: each a raw `POST /gradio_api/call/ask` (a new session every call, as any script makes them) with a
   question and `--history` earlier questions of `--question-chars` characters each, its result read; the server's
   RSS before, after, and after 30 s idle;
2. uploads: files sent to `POST /gradio_api/upload` (10 of 1 MB, one request of 1,000 small ones), two of them then
   added with `/upload_articles`; the files left in Gradio's upload folder right after, and after the app's sweep
   (run here with files kept 20 s, swept every 5 s, instead of the app's 600 s and 60 s).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from load import rss_mb, start_app  # noqa: E402

IDLE_S = 30
# The app's upload sweep, shortened so that the run sees it (the app's own: webui.ui.UPLOAD_KEEP_S, UPLOAD_SWEEP_S).
KEEP_S, SWEEP_S = 20, 5
LAUNCH = ("import sys, webui.ui as ui; ui.UPLOAD_KEEP_S, ui.UPLOAD_SWEEP_S = {keep}, {sweep}; import app; "
          "sys.exit(app.main(sys.argv[1:]))")


def call(client: httpx.Client, api: str, data: list) -> str:
    """One raw /gradio_api/call/<api> request and its result read to the end; the last event's name."""
    posted = client.post(f"/gradio_api/call/{api}", json={"data": data})
    if posted.status_code == 413:
        return "refused (413)"
    posted.raise_for_status()
    event = ""
    with client.stream("GET", f"/gradio_api/call/{api}/{posted.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
    return event


def files_in(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def main() -> None:
    """Run both checks against a fresh app and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=150)
    parser.add_argument("--question-chars", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=3)
    parser.add_argument("--fill", action="store_true",
                        help="instead of --question-chars: the question and each history item sized so that the body "
                             "is just under the app's cap (webui.limits.MAX_BODY_BYTES), the largest it accepts")
    args = parser.parse_args()
    if args.fill:
        sys.path.insert(0, str(ROOT))
        from webui.limits import MAX_BODY_BYTES

        args.question_chars = (MAX_BODY_BYTES - 200) // (args.history + 1)
    temp = ROOT / "bench" / "out" / "sessions-gradio-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(temp)  # the app inherits it: its uploads land here, counted below
    # Its upload sweep shortened, so that the run sees it.
    proc, url, _ = start_app(600, ("-c", LAUNCH.format(keep=KEEP_S, sweep=SWEEP_S)), "sessions")
    out: dict[str, object] = {"sessions": args.sessions, "question_chars": args.question_chars, "history": args.history}
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=300) as client:
            call(client, "ask", ["Why does Russia engage the Taliban?", [], "", 0, [], "", ""])  # warm
            out["rss_before_mb"] = round(rss_mb(proc.pid), 1)
            big = ("Why does Russia engage the Taliban? " * (args.question_chars // 36 + 1))[:args.question_chars]
            began = time.perf_counter()
            events = [call(client, "ask", [big, [big] * args.history, "", 0, [], "", ""]) for _ in range(args.sessions)]
            out["seconds"] = round(time.perf_counter() - began, 1)
            out["events"] = {e: events.count(e) for e in set(events)}
            out["rss_after_mb"] = round(rss_mb(proc.pid), 1)
            time.sleep(IDLE_S)
            out["rss_idle_mb"] = round(rss_mb(proc.pid), 1)
            before = files_in(temp)
            stored = []
            for i in range(10):
                r = client.post("/gradio_api/upload", files=[("files", (f"big-{i}.txt", b"x" * 2**20))])
                stored += r.json()
            r = client.post("/gradio_api/upload", files=[("files", (f"small-{i}.txt", b"y")) for i in range(1000)])
            stored += r.json()
            out["raw_uploaded"] = len(stored)
            good = [b"Otters returned to the Wye valley this spring, wardens said, after thirty years.\n",
                    b"%PDF-1.4 not really a pdf"]
            names = ["otters-bench.txt", "broken-bench.pdf"]
            paths = [client.post("/gradio_api/upload", files=[("files", (n, d))]).json()[0] for n, d in zip(names, good)]
            call(client, "upload_articles", [[{"path": p, "meta": {"_type": "gradio.FileData"}} for p in paths]])
            out["files_left_after_upload_articles"] = files_in(temp) - before
            time.sleep(KEEP_S + 2 * SWEEP_S)
            out["files_left_after_sweep"] = files_in(temp) - before
    finally:
        proc.kill()
        proc.wait(30)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
