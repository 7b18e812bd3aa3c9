"""One page per training run: `python -m evaluation report RUN_DIR` (or `make report RUN=...`) writes
`RUN_DIR/report.html` (self-contained: plots embedded as data URIs) and `RUN_DIR/report.md` (plots in
`RUN_DIR/report/`), from the run's own files: the data through each pipeline stage, the tokenizer, training curves,
held-out evaluation of the latest and best checkpoints, and samples. Offline.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path

import torch

from evaluation.evaluate import evaluate
from evaluation.heldout import NEXT_SENTENCE, heldout_texts, read_items
from evaluation.report_plots import training_plots
from evaluation.report_sources import (
    TrainingRun,
    pipeline_stages,
    read_run,
    stage_card,
    tokenizer_card,
)
from model.hf import from_hf, tokenizer_of
from pipeline.documents import document_texts, text_set_name
from pipeline.markdown import markdown_table
from trainer.evaluation import samples

PROMPTS = ["भारत की राजधानी", "बारिश के मौसम में किसान", "kal movie dekhne", "mujhe lagta hai ki"]  # Hindi, Hinglish
FERTILITY = ("tokenizer", "tokens_per_word", "chars_per_token", "bytes_per_token", "single_token_words")


def heldout_sets(run: TrainingRun, tasks: Path | None) -> tuple[dict, dict]:
    """(texts, multiple-choice items) to evaluate on: the run's `eval_texts` and the task folder's files."""
    texts = {text_set_name(p): document_texts(p) for p in run.config.get("eval_texts", [])}
    choices = {}
    if tasks is not None and tasks.is_dir():
        texts |= heldout_texts(tasks)
        choices = {text_set_name(name): items for name in NEXT_SENTENCE.values() if (items := read_items(tasks / name))}
    return texts, choices


def evaluate_checkpoints(run: TrainingRun, tasks: Path | None, device: torch.device) -> dict:
    """Figures of the latest and the best checkpoint, and the latest one's samples for PROMPTS."""
    texts, choices = heldout_sets(run, tasks)
    block = run.config["block_size"]
    figures = {}
    for which, folder in run.checkpoints.items():
        module, sp = from_hf(folder).to(device), tokenizer_of(folder)
        figures[which] = {"checkpoint": folder.name, **evaluate(module, sp, texts, choices, block, block // 2,
                                                                 batch_size=max(8, 8192 // block), device=device)}
        if which == "latest":
            figures["samples"] = samples(module, sp, PROMPTS, 32, device)
    return figures


def _stage_rows(stages: list[dict], cards: Path, out_dir: Path) -> list[list]:
    rows = []
    for s in stages:
        card = stage_card(s, cards)
        name = ("link", s["stage"], os.path.relpath(card, out_dir)) if card else s["stage"]
        rows.append([name, s.get("documents_in"), s.get("documents_out"), s.get("documents_set_aside", 0),
                     s.get("documents_added", 0), s.get("characters_in"), s.get("characters_out")])
    return rows


def data_blocks(run: TrainingRun, cards: Path) -> list[tuple]:
    blocks = [("h2", "Data")]
    stages = pipeline_stages(run.shards)
    if stages:
        blocks += [("p", f"Pipeline run `{stages[0]['run']}`, documents and characters through each stage "
                         f"(the stage name links to its card):"),
                   ("table", ["stage", "documents in", "out", "set aside", "added", "characters in", "out"],
                    _stage_rows(stages, cards, run.out_dir))]
    else:
        blocks.append(("p", "The shards name no pipeline run with stats.json (they were made from other files)."))
    totals = run.shards.get("totals", {})
    if totals:
        blocks += [("p", f"Shards `{run.config['data_dir']}`:"),
                   ("table", ["split", "documents", "tokens"],
                    [[split, t["documents"], t["tokens"]] for split, t in totals.items()])]
    card = tokenizer_card(run.shards)
    blocks.append(("h2", "Tokenizer"))
    if not card:
        return blocks + [("p", "No card.json beside the tokenizer.")]
    train = card["train"]
    blocks.append(("p", f"SentencePiece, {train['vocab_size']:,} pieces, sha256 `{train['sha256'][:16]}…`. "
                        f"Fertility on held-out text against the reference tokenizers:"))
    for group, rows in card.get("heldout", {}).items():
        blocks += [("h3", f"Held-out {group} text"),
                   ("table", list(FERTILITY), [[r[k] for k in FERTILITY] for r in rows])]
    return blocks


def training_blocks(run: TrainingRun) -> list[tuple]:
    c, last = run.config, run.steps[-1] if run.steps else {}
    blocks = [("h2", "Training"),
              ("p", f"Preset `{c['model']}`, {len(run.steps):,} steps of {c['batch_size']} × {c['grad_accum']} × "
                    f"{c['block_size']} tokens, lr {c['lr']} → {c['min_lr']}; {last.get('tokens', 0):,} tokens seen, "
                    f"last loss {last.get('loss', float('nan')):.4f}.")]
    if run.evals:
        keys = [k for k in run.evals[-1] if k.startswith(("val_", "heldout_bpb/"))]
        blocks.append(("table", ["step", *keys], [[e["step"], *(e.get(k) for k in keys)] for e in run.evals]))
    plots = training_plots(run.steps, run.evals, run.out_dir / "report")
    return blocks + [("img", title, path) for title, path in plots.items()]


def evaluation_blocks(figures: dict) -> list[tuple]:
    blocks = [("h2", "Evaluation")]
    checkpoints = [w for w in ("latest", "best") if w in figures]
    first = figures[checkpoints[0]]
    blocks.append(("p", f"Each document scored whole (context {first['context']} tokens, the run's block size; "
                        f"sliding window, stride {first['stride']}); bits per byte counts the text's UTF-8 bytes."))
    if first["texts"]:
        blocks.append(("table", ["checkpoint", "text", "bits per byte", "nats per token", "tokens per word",
                                 "documents"],
                       [[f"{w} ({figures[w]['checkpoint']})", name, t["bits_per_byte"], t["nats_per_token"],
                         t["tokens_per_word"], t["documents"]] for w in checkpoints
                        for name, t in figures[w]["texts"].items()]))
    if first["choices"]:
        blocks.append(("table", ["checkpoint", "task", "accuracy", "length-normalised", "chance", "items"],
                       [[f"{w} ({figures[w]['checkpoint']})", name, c["accuracy"], c["accuracy_norm"], c["chance"],
                         c["items"]] for w in checkpoints for name, c in figures[w]["choices"].items()]))
    if not (first["texts"] or first["choices"]):
        blocks.append(("p", "No held-out set: write one with `python -m evaluation make-tasks` (see README)."))
    blocks.append(("h2", "Samples"))
    blocks.append(("p", "The latest checkpoint, 32 new tokens, seeded top-p sampling:"))
    return blocks + [("pre", f"{prompt} → {text}") for prompt, text in figures.get("samples", {}).items()]


def _cell(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)


def render_markdown(title: str, blocks: list[tuple], out_dir: Path) -> str:
    lines = [f"# {title}", ""]
    for kind, *rest in blocks:
        if kind in ("h2", "h3"):
            lines += [("## " if kind == "h2" else "### ") + rest[0], ""]
        elif kind == "p":
            lines += [rest[0], ""]
        elif kind == "pre":
            lines += ["```", rest[0], "```", ""]
        elif kind == "img":
            lines += [f"![{rest[0]}]({os.path.relpath(rest[1], out_dir)})", ""]
        elif kind == "table":
            cells = [[f"[{v[1]}]({v[2]})" if isinstance(v, tuple) else _cell(v) for v in row] for row in rest[1]]
            lines += markdown_table(rest[0], cells) + [""]
    return "\n".join(lines)


def render_html(title: str, blocks: list[tuple]) -> str:
    esc = html.escape
    parts = []
    for kind, *rest in blocks:
        if kind in ("h2", "h3", "p", "pre"):
            text = esc(rest[0]) if kind == "pre" else _inline_code(esc(rest[0]))
            parts.append(f"<{kind}>{text}</{kind}>")
        elif kind == "img":
            data = base64.b64encode(Path(rest[1]).read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{esc(rest[0])}" src="data:image/png;base64,{data}"></figure>')
        elif kind == "table":
            head = "".join(f"<th>{esc(h)}</th>" for h in rest[0])
            cells = [[f'<a href="{esc(v[2])}">{esc(v[1])}</a>' if isinstance(v, tuple) else esc(_cell(v)) for v in row]
                     for row in rest[1]]
            body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in cells)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    style = ("body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:"
             "collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}"
             "td:first-child,th:first-child{text-align:left}pre{background:#f4f4f4;padding:.5rem;white-space:pre-wrap}")
    return (f'<!DOCTYPE html>\n<html lang="hi"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<link rel="icon" href="data:,"><style>{style}</style></head><body><h1>{esc(title)}</h1>'
            + "\n".join(parts) + "</body></html>\n")


def _inline_code(text: str) -> str:
    pieces = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))


def write_report(out_dir: str | Path, tasks: str | Path | None = "work/eval_tasks", cards: str | Path = "data_cards",
                 device: str = "cpu") -> Path:
    """report.html + report.md (+ report/ with the plots and evaluation.json) in the run's folder."""
    run = read_run(out_dir)
    figures = evaluate_checkpoints(run, Path(tasks) if tasks else None, torch.device(device))
    (run.out_dir / "report").mkdir(exist_ok=True)
    (run.out_dir / "report" / "evaluation.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    blocks = data_blocks(run, Path(cards)) + training_blocks(run) + evaluation_blocks(figures)
    title = f"Training run {run.out_dir.name}"
    (run.out_dir / "report.md").write_text(render_markdown(title, blocks, run.out_dir), encoding="utf-8")
    (run.out_dir / "report.html").write_text(render_html(title, blocks), encoding="utf-8")
    return run.out_dir / "report.html"


def cmd_report(args) -> None:
    page = write_report(args.run, args.tasks, args.cards, args.device)
    print(f"report: {page} (and {page.with_suffix('.md')})")


def add_commands(commands) -> dict:
    """`report` on `commands` (argparse subparsers); returns name → handler."""
    parser = commands.add_parser("report", help="one HTML + Markdown page for a training run", description=__doc__)
    parser.add_argument("run", help="the trainer's out_dir")
    parser.add_argument("--tasks", default="work/eval_tasks", help="held-out sets (python -m evaluation make-tasks)")
    parser.add_argument("--cards", default="data_cards", help="the pipeline's cards_dir, for links to stage cards")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return {"report": cmd_report}
