"""Which romanised-Hindi detector a run's filter stage uses. It is an input of the stage like its settings:
`auto` (the default) is `<workdir>/hinglish_lid/model.bin`, trained by the chain when it is missing; a path names
a model; `none` runs without one, and then every Latin-script document is set aside (the card says so).

`auto` trains on the corpus folder the config names (`hinglish_corpus`: Devanagari news and Wikipedia, English,
real Hinglish) when it exists, else on the run's own ingested documents sorted by script, so that a fresh clone
keeps Hinglish with no command run first. The model is shared by the runs of a work folder; every filter stage
records its checksum, so a retrained detector makes the stages it fed stale.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.filter.settings import LanguageSettings
from pipeline.hashing import fingerprint_sha256
from pipeline.typed_config import ConfigError
from pipeline.workdir import StagePaths

AUTO, NONE = "auto", "none"
# Sub-folders of `hinglish_corpus` by label (the layout of ../shared/corpus); the absent ones are skipped.
CORPUS_PARTS = {
    "devanagari": ["hi_wiki_or_news"],
    "english": ["english", "hi_web_like/libreoffice_help_hi.jsonl.gz"],
    "hinglish": ["hinglish"],
}


def detector_path(settings: LanguageSettings, workdir: str | Path) -> Path | None:
    """The model file the filter stage reads (it may not exist yet for `auto`: the work folder's), or None for
    `none`."""
    chosen = settings.hinglish_model
    if chosen == NONE:
        return None
    return Path(workdir) / "hinglish_lid" / "model.bin" if chosen == AUTO else Path(chosen)


def detector_identity(settings: LanguageSettings, workdir: str | Path) -> dict:
    """What the filter stage's fingerprint records about the detector: its setting and the model's content."""
    path = detector_path(settings, workdir)
    if path is None:
        return {"setting": NONE}
    digest = fingerprint_sha256(path) if path.exists() else "missing"
    return {"setting": settings.hinglish_model, "sha256": digest}


def ensure_detector(settings: LanguageSettings, workdir: str | Path, ingest: StagePaths) -> Path | None:
    """The detector's path, training it first when the setting is `auto` and the model is missing."""
    path = detector_path(settings, workdir)
    if path is None or path.exists():
        return path
    if settings.hinglish_model != AUTO:
        raise ConfigError(f"stages.filter.language.hinglish_model names {path}, which does not exist: "
                          f"train it with `make hinglish-lid`, or set it to auto or none")
    from pipeline.filter.hinglish_lid import collect, train_hinglish_lid

    inputs = training_inputs(settings.hinglish_corpus, ingest)
    if inputs["mixed"] and not any(ingest.output.glob("*")):
        raise ConfigError(
            f"the romanised-Hindi detector ({path}) is trained on the run's ingested documents when "
            f"{settings.hinglish_corpus!r} is not a corpus folder, and {ingest.output} is empty "
            "(a Slurm run queues its stages): run `--stage ingest` first, or `make hinglish-lid`, or set "
            "stages.filter.language.hinglish_model")
    print(f"02_filter: training the romanised-Hindi detector ({path}) on "
          f"{', '.join(str(p) for group in inputs.values() for p in group)}")
    train_hinglish_lid(collect(**inputs), path.parent)
    return path


def training_inputs(corpus: str, ingest: StagePaths) -> dict[str, list[Path]]:
    """collect()'s arguments: the corpus's parts when the corpus folder exists, else the run's own documents."""
    root = Path(corpus) if corpus else None
    if root is not None and root.is_dir():
        found = {label: [root / part for part in parts if (root / part).exists()]
                 for label, parts in CORPUS_PARTS.items()}
        if found["hinglish"] and found["english"]:
            return found | {"mixed": []}
    return {"devanagari": [], "english": [], "hinglish": [], "mixed": [ingest.output]}
