"""Time the chat page as a user meets it: command to usable page, then question to answer.

    python benchmarks/ui_timing.py                       # runs `make chat` in this checkout
    python benchmarks/ui_timing.py --command "rag ui --port 8501" --screenshot docs/chat.png

Starts the command (in its own process group, stopped at the end), polls http://localhost:8501 in
Debian's Chromium until the chat input is there, asks each question, and prints the medians.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTIONS = [
    "What did Ushakov say about territory?",
    "Cosa ha detto Zelenskyj?",
    "Who is Kirill Dmitriev?",
    "Dove si terrà il prossimo incontro con Zelensky?",
    "What did Putin and Witkoff discuss?",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--command", default="make chat")
    parser.add_argument("--url", default="http://localhost:8501")
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--rounds", type=int, default=2, help="times each question is asked")
    args = parser.parse_args()

    started = time.monotonic()
    server = subprocess.Popen(args.command, shell=True, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1250})
            while True:
                try:
                    page.goto(args.url, timeout=5_000)
                    page.get_by_placeholder("Ask about the articles").wait_for(timeout=120_000)
                    break
                except Exception:
                    if server.poll() is not None:
                        raise SystemExit(f"`{args.command}` exited with {server.returncode}") from None
                    time.sleep(0.5)
            usable = time.monotonic() - started
            print(f"command to usable page: {usable:.1f} s  ({args.command})")
            times = []
            for round_ in range(args.rounds):
                for question in QUESTIONS:
                    page.goto(args.url)
                    box = page.get_by_placeholder("Ask about the articles")
                    box.wait_for()
                    box.fill(question)
                    asked = time.monotonic()
                    box.press("Enter")
                    answer = page.get_by_test_id("stChatMessage").nth(1)
                    answer.get_by_text("Read the whole article").first.or_(
                        answer.get_by_text("couldn't find")
                    ).wait_for()
                    times.append(time.monotonic() - asked)
                    if args.screenshot and round_ == 0 and question == QUESTIONS[0]:
                        page.wait_for_timeout(500)
                        # The chat scrolls to its end; the picture shows the question and the answer.
                        page.mouse.move(700, 500)
                        page.mouse.wheel(0, -10_000)
                        page.wait_for_timeout(300)
                        page.screenshot(path=str(args.screenshot))
            print(
                f"question to answer on the page: median {statistics.median(times) * 1000:.0f} ms, "
                f"max {max(times) * 1000:.0f} ms over {len(times)} questions"
            )
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
