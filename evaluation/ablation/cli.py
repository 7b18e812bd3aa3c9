"""`python -m evaluation ablate CONFIG [--KEY=VALUE ...]`: prepare the arms, run every arm × seed unit that is not
finished (a killed ablation resumes), then write ablation.json, the table and the plot."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from evaluation.ablation.config import AblationConfig
from evaluation.ablation.prepare import Prepared, check_same_config, prepare
from evaluation.ablation.report import finished_at, machine, write_reports
from evaluation.ablation.table import summarize
from evaluation.ablation.units import run_unit
from model.errors import ModelInputError
from pipeline.errors import cli_errors
from pipeline.typed_config import cli_overrides, load_config


def run_ablation(config: AblationConfig) -> dict:
    """Every unit of the ablation, then its reports; returns the ablation.json record."""
    check_same_config(config, dataclasses.asdict(config))
    if config.train.threads:
        torch.set_num_threads(config.train.threads)
    prepared = prepare(config)
    units, total = [], len(config.arms) * len(config.seeds)
    for seed in config.seeds:  # every arm's first seed first: a run cut short still compares all arms
        for arm in config.arms:
            started = time.time()
            unit = run_unit(config, prepared, arm.name, seed)
            units.append(unit)
            bpb = ", ".join(f"{k} {v:.4f}" for k, v in unit["metrics"].items() if k.startswith("bpb/"))
            print(f"ablation {config.name}: unit {len(units)}/{total} {arm.name} seed {seed}: {bpb} "
                  f"({time.time() - started:.0f} s this run)", flush=True)
            record = ablation_record(config, prepared, units, total)
            write_reports(Path(config.out_dir), record)  # after every unit: the table so far
    return record


def ablation_record(config: AblationConfig, prepared: Prepared, units: list[dict], total: int) -> dict:
    arms = [a.name for a in config.arms]
    units = sorted(units, key=lambda u: (arms.index(u["arm"]), u["seed"]))
    return {"name": config.name, "baseline": config.baseline, "seeds": config.seeds,
            "units_finished": len(units), "units_total": total,
            "arms": {a.name: dataclasses.asdict(a) | {"shards": str(prepared.shards[a.name])} for a in config.arms},
            "tokenizer": str(prepared.tokenizer), "eval_tasks": str(prepared.tasks),
            "parameters": units[0]["parameters"], "tokens_per_unit": units[0]["tokens"],
            "machine": machine(), "finished": finished_at(), "summary": summarize(units, arms, config.baseline),
            "units": units, "config": dataclasses.asdict(config)}


def cmd_ablate(args) -> None:
    config = load_config(AblationConfig, args.config, cli_overrides(args.overrides))
    record = run_ablation(config)
    out = Path(config.out_dir)
    print(f"ablation {record['name']}: {out / 'ablation.md'}, {out / 'ablation.html'}, {out / 'ablation.json'}")


def add_commands(commands) -> dict:
    """`ablate` on `commands` (argparse subparsers); returns name → handler."""
    ablate = commands.add_parser("ablate", help="the same small model on several data variants and seeds, compared "
                                 "on held-out Hindi and Hinglish")
    ablate.add_argument("config", help="ablation config (YAML), e.g. configs/ablation_cpu.yaml")
    ablate.add_argument("overrides", nargs=argparse.REMAINDER, help="--KEY=VALUE overrides of the config")
    return {"ablate": cmd_ablate}


def main(argv: list[str]) -> int:
    """`python -m evaluation ablate` with `argv` after the command name."""
    parser = argparse.ArgumentParser(prog="python -m evaluation")
    handlers = add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["ablate", *argv])
    return cli_errors(lambda: handlers[args.command](args), ModelInputError)
