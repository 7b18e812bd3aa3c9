"""python -m evaluation ablate CONFIG [--KEY=VALUE ...]: train the same small model on several data variants with
several seeds and compare them on held-out Hindi and Hinglish (evaluation/ablation/)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ablate"]:
        from evaluation.ablation.cli import main as ablate_main

        return ablate_main(argv[1:])
    print("usage: python -m evaluation ablate CONFIG [--KEY=VALUE ...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
