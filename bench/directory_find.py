"""Benchmark: finding a council by what a caller typed, as the council turn
does on every text it reads (misspelt, run together, in a sentence, unknown).

    .venv/bin/python -m bench.directory_find
"""

from __future__ import annotations

import time

from helpline.config import Settings
from helpline.directory import load_directory

TEXTS = ["manchster", "kingston", "narnia", "i live in leeds", "livrpool", "towerhamlets"]
ROUNDS = 200


def main() -> None:
    directory = load_directory(Settings().directory_dir)
    for text in TEXTS:  # warm: the first lookups build the directory's indexes
        directory.find(text)
    print("| text | µs a lookup |")
    print("|---|---|")
    for text in TEXTS:
        started = time.perf_counter()
        for _ in range(ROUNDS):
            directory.find(text)
        print(f"| {text} | {(time.perf_counter() - started) / ROUNDS * 1e6:.0f} |")


if __name__ == "__main__":
    main()
