"""Conversations for SFT from the corpus's files, one reader per kind of file.

Each reader yields `Conversation`s (a root id, so that conversations made from one record share a split, and
Gemma-style messages) or `BadRecord`s (file, line, reason) for the builder to count and report. The instructions
are written in the language of the answer: Devanagari Hindi for Hindi replies, romanised Hindi for Hinglish.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from model.chat_format import validate_messages
from model.errors import ModelInputError
from pipeline.documents import MALFORMED, json_lines
from pipeline.hashing import unit_hash
from pipeline.hinglish.romanize import romanize
from pipeline.script import devanagari_share

SENTENCE_END = re.compile(r"(?<=[।?!])\s+")


@dataclass
class Conversation:
    root: str  # the source record: every conversation made from it goes to the same split
    id: str
    messages: list[dict]


@dataclass
class BadRecord:
    file: str
    line: int
    reason: str


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _model(text: str) -> dict:
    return {"role": "assistant", "content": text}


def pick(options: list[str], key: str) -> str:
    """One of `options`, chosen by a hash of `key`: varied phrasing that does not depend on file order."""
    return options[int(unit_hash(key) * len(options))]


def jsonl_records(path: Path, fields: tuple[str, ...]) -> Iterator[tuple[int, dict] | BadRecord]:
    """(line, record) of every line that is an object with string `fields`; else a BadRecord naming the line."""
    for line_number, record in json_lines(path):
        if record is MALFORMED:
            yield BadRecord(str(path), line_number, "malformed_json")
        elif not isinstance(record, dict):
            yield BadRecord(str(path), line_number, "not_an_object")
        elif missing := [k for k in fields if not isinstance(record.get(k), str) or not record[k].strip()]:
            yield BadRecord(str(path), line_number, f"no_{missing[0]}")
        else:
            record.setdefault("id", f"{path.name}:{line_number}")
            yield line_number, record


def conversations(path: Path) -> Iterator[Conversation | BadRecord]:
    """Records that are conversations already: {"id", "messages": [{role, content}, ...]} (the demo fixture)."""
    for item in jsonl_records(path, ()):
        if isinstance(item, BadRecord):
            yield item
            continue
        line, record = item
        try:
            validate_messages(record.get("messages"))
        except ModelInputError as err:
            yield BadRecord(str(path), line, f"bad_messages: {err}")
            continue
        yield Conversation(str(record["id"]), str(record["id"]), record["messages"])


def dialogues(path: Path) -> Iterator[Conversation | BadRecord]:
    """`user:` / `bot:` lines (the code-mixed restaurant dialogues): the bot's greeting before the first user
    line is dropped (a conversation starts with the user), lines of one speaker in a row are joined, and a
    trailing user line without an answer is dropped."""
    for item in jsonl_records(path, ("text",)):
        if isinstance(item, BadRecord):
            yield item
            continue
        line, record = item
        messages: list[dict] = []
        for raw in record["text"].splitlines():
            speaker, sep, text = raw.partition(":")
            role = {"user": "user", "bot": "assistant"}.get(speaker.strip())
            if not sep or role is None or not text.strip():
                continue
            if messages and messages[-1]["role"] == role:
                messages[-1]["content"] += "\n" + text.strip()
            elif messages or role == "user":
                messages.append({"role": role, "content": text.strip()})
        if messages and messages[-1]["role"] == "user":
            messages.pop()
        if not messages:
            yield BadRecord(str(path), line, "no_user_and_bot_turns")
            continue
        yield Conversation(record["id"], record["id"], messages)


TO_HINGLISH = ["Is English sentence ko Hinglish mein likho:\n{}", "Hinglish mein translate karo:\n{}",
               "Ise Hinglish mein kaise bolenge?\n{}"]
TO_ENGLISH = ["Is Hinglish sentence ka English translation do:\n{}", "English mein translate karo:\n{}",
              "Iska English kya hoga?\n{}"]


def translation_pairs(path: Path) -> Iterator[Conversation | BadRecord]:
    """English ↔ Hinglish query pairs, both directions, each a one-turn translation task."""
    for item in jsonl_records(path, ("english", "hinglish")):
        if isinstance(item, BadRecord):
            yield item
            continue
        _, r = item
        english, hinglish = r["english"].strip(), r["hinglish"].strip()
        yield Conversation(r["id"], r["id"] + ":en-hinglish",
                           [_user(pick(TO_HINGLISH, r["id"]).format(english)), _model(hinglish)])
        yield Conversation(r["id"], r["id"] + ":hinglish-en",
                           [_user(pick(TO_ENGLISH, r["id"]).format(hinglish)), _model(english)])


def health_qa(path: Path) -> Iterator[Conversation | BadRecord]:
    """Hindi health questions and their checked answers, one turn each (general information, not advice)."""
    for item in jsonl_records(path, ("question", "answer")):
        if isinstance(item, BadRecord):
            yield item
            continue
        _, r = item
        yield Conversation(r["id"], r["id"], [_user(r["question"].strip()), _model(r["answer"].strip())])


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.replace("\n", " ")) if s.strip()]


def _is_prose(text: str) -> bool:
    return devanagari_share(text) > 0.9 and text.endswith(("।", "?", "!"))


ABOUT = ["{} के बारे में बताइए।", "{} क्या है?", "मुझे {} के बारे में जानकारी दीजिए।"]
SUBJECT = re.compile(r"^(?P<subject>[^,।()]{2,60}?)(?:,| \(| एक | भारत | की | का | के )")


def wikipedia_tasks(path: Path) -> Iterator[Conversation | BadRecord]:
    """"X के बारे में बताइए" → the article's lead (its first paragraph), X being the subject of its first
    sentence; articles whose lead is not Hindi prose of 2-12 sentences are passed over."""
    for item in jsonl_records(path, ("text",)):
        if isinstance(item, BadRecord):
            yield item
            continue
        _, r = item
        lead = r["text"].strip().split("\n", 1)[0].strip()
        sentences = _sentences(lead)
        match = SUBJECT.match(lead)
        if not (2 <= len(sentences) <= 12 and _is_prose(lead) and match and len(match["subject"].split()) <= 4):
            continue
        yield Conversation(r["id"], r["id"] + ":about", [_user(pick(ABOUT, r["id"]).format(match["subject"])),
                                                        _model(lead)])
        yield from _romanise_task(r["id"], sentences)


CONTINUE = ["इस कहानी को आगे बढ़ाइए:\n{}", "आगे क्या हुआ? कहानी जारी रखिए:\n{}"]
ROMANISE = ["Is Hindi vaakya ko Roman lipi (Hinglish) mein likho:\n{}", "इसे रोमन लिपि में लिखिए:\n{}"]


def _romanise_task(root: str, sentences: list[str]) -> Iterator[Conversation]:
    """A Hindi sentence of 5-30 words and the project's romanisation of it (pipeline/hinglish/romanize.py)."""
    fitting = [s for s in sentences if 5 <= len(s.split()) <= 30 and _is_prose(s)]
    if fitting:
        sentence = pick(fitting, root + ":romanise")
        yield Conversation(root, root + ":romanise",
                           [_user(pick(ROMANISE, root).format(sentence)), _model(romanize(sentence, seed=0))])


def story_tasks(path: Path, sentences_per_turn: int = 4) -> Iterator[Conversation | BadRecord]:
    """Stories cut into passages: "continue this story" with one passage → the next; plus a romanisation."""
    for item in jsonl_records(path, ("text",)):
        if isinstance(item, BadRecord):
            yield item
            continue
        _, r = item
        sentences = _sentences(r["text"])
        step = 2 * sentences_per_turn
        for n, start in enumerate(range(0, len(sentences) - step + 1, step)):
            opening = " ".join(sentences[start : start + sentences_per_turn])
            rest = " ".join(sentences[start + sentences_per_turn : start + step])
            key = f"{r['id']}:continue{n}"
            yield Conversation(r["id"], key, [_user(pick(CONTINUE, key).format(opening)), _model(rest)])
        yield from _romanise_task(r["id"], sentences)


READERS = {"conversations": conversations, "dialogues": dialogues, "translation_pairs": translation_pairs,
           "health_qa": health_qa, "wikipedia": wikipedia_tasks, "stories": story_tasks}
