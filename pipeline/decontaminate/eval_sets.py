"""The evaluation sets a run is decontaminated against, read into one n-gram index.

A set is a file or folder of held-out texts (JSONL records with `text`, or .txt with a document a line) or of
multiple-choice items (JSONL with `context` and `choices`, as `make eval-tasks` writes them). Devanagari text
is indexed as written and romanised (pipeline/hinglish/romanize.py), so a romanised copy of a held-out story is
found too; Latin-script text as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.decontaminate.ngrams import ngrams, normalised_words
from pipeline.documents import BadRecordError, input_files, json_lines, read_documents
from pipeline.script import devanagari_share
from pipeline.typed_config import ConfigError


@dataclass
class EvalSet:
    """One held-out set: `name` appears in the metadata of what it sets aside and on the card."""

    name: str
    path: str
    # true: a missing path is skipped (and the card says so): the default configs name the corpus's held-out
    # sets, which a checkout without ../shared/corpus lacks. false: a missing path is a config error.
    optional: bool = False


def present_sets(sets: list[EvalSet], key: str = "stages.decontaminate.eval_sets") -> list[EvalSet]:
    """The sets whose files exist; a missing set that is not optional is a ConfigError naming key and path."""
    present = []
    for n, eval_set in enumerate(sets):
        if Path(eval_set.path).exists():
            present.append(eval_set)
        elif not eval_set.optional:
            raise ConfigError(f"{key}[{n}] ({eval_set.name}): {eval_set.path} does not exist; make it (e.g. `make "
                              f"eval-tasks`), correct the path, or set optional: true")
    return present


def _item_texts(record: dict) -> list[str]:
    """A multiple-choice item's texts: the context followed by each option (the true next sentence continues
    the context, so context + option is the held-out passage), and each option alone."""
    return [f"{record['context']} {choice}" for choice in record["choices"]] + list(record["choices"])


def set_texts(path: str | Path) -> list[str]:
    """Every text of one evaluation set, held-out documents and multiple-choice items alike."""
    texts = []
    for file in input_files([path]):
        if file.name.endswith(".txt"):
            texts += [doc.text for doc in read_documents([file], text_per="line")]
            continue
        for number, record in json_lines(file):
            if isinstance(record, dict) and isinstance(record.get("context"), str) and \
                    isinstance(record.get("choices"), list):
                texts += _item_texts(record)
            elif isinstance(record, dict) and isinstance(record.get("text"), str):
                texts.append(record["text"])
            else:
                raise BadRecordError(f"{file}:{number}: an evaluation set record needs `text`, or `context` and "
                                     f"`choices`")
    return texts


def _with_romanised(text: str) -> list[str]:
    from pipeline.hinglish.romanize import romanize

    return [text, romanize(text)] if devanagari_share(text) > 0.5 else [text]


@dataclass
class NgramIndex:
    """n-gram → the first evaluation set that holds it."""

    n: int
    owners: dict[str, str] = field(default_factory=dict)
    ngrams_per_set: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, texts: list[str]) -> None:
        before = len(self.owners)
        for text in texts:
            for variant in _with_romanised(text):
                for _, gram in ngrams(normalised_words(variant), self.n):
                    self.owners.setdefault(gram, name)
        self.ngrams_per_set[name] = len(self.owners) - before

    def first_match(self, text: str) -> tuple[str, str] | None:
        """(evaluation set, n-gram as normalised) of the first n-gram of `text` that an evaluation set holds."""
        for _, gram in ngrams(normalised_words(text), self.n):
            if (owner := self.owners.get(gram)) is not None:
                return owner, gram
        return None


def build_index(sets: list[EvalSet], n: int) -> NgramIndex:
    index = NgramIndex(n)
    for eval_set in sets:
        index.add(eval_set.name, set_texts(eval_set.path))
    return index
