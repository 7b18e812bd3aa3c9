"""Command lines print a user's error as one line (exit 2), and let a bug keep its traceback: a built-in
KeyError or ValueError from inside is never dressed up as an "error:" line."""

import pytest

import evaluation.__main__
import evaluation.commands
import model.__main__
import pipeline.__main__
import tokenizer.__main__
import trainer.__main__
import webapp.__main__
from model.errors import ModelInputError
from pipeline.errors import UserError
from tests.conftest import REPO, SAMPLE_CONFIG


def bug(*args, **kwargs):
    raise KeyError("a bug")


def value_bug(*args, **kwargs):
    raise ValueError("a bug")


@pytest.mark.parametrize("raise_it", [bug, value_bug])
def test_a_bug_keeps_its_traceback_in_every_command_line(monkeypatch, tmp_path, raise_it):
    cases = [
        (pipeline.__main__, pipeline.__main__, "run_stages", ["run", str(SAMPLE_CONFIG), "--workdir", str(tmp_path)]),
        (tokenizer.__main__, tokenizer.__main__, "cmd_check", ["check", str(tmp_path), "--model", "x.model"]),
        (model.__main__, model.__main__, "cmd_info", ["info"]),
        (trainer.__main__, trainer.__main__, "Trainer", [str(REPO / "configs" / "train_tiny.yaml")]),
        (evaluation.__main__, evaluation.commands, "cmd_eval", ["evaluate", "--checkpoint", "x", "--text", "x.txt"]),
        (webapp.__main__, webapp.__main__, "serve", ["--checkpoint", str(tmp_path)]),
    ]
    for cli, module, name, argv in cases:
        monkeypatch.setattr(module, name, raise_it)
        with pytest.raises((KeyError, ValueError), match="a bug"):
            cli.main(argv)


def test_a_user_error_is_one_line(capsys, tmp_path):
    assert model.__main__.main(["generate", "--checkpoint", str(tmp_path), "--prompt", "x"]) == 2
    assert "is not a checkpoint" in capsys.readouterr().err
    assert pipeline.__main__.main(["run", str(SAMPLE_CONFIG), "--stage", "nonsense"]) == 2
    assert "no stage 'nonsense'" in capsys.readouterr().err


def test_every_user_error_is_one_line(capsys, tmp_path):
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    empty = str(tmp_path / "empty.txt")
    assert evaluation.__main__.main(["evaluate", "--checkpoint", str(tmp_path), "--text", empty]) == 2
    assert "holds no document" in capsys.readouterr().err
    assert trainer.__main__.main([str(REPO / "configs" / "train_tiny.yaml"), "--no_such_key=1"]) == 2
    assert "no_such_key" in capsys.readouterr().err
    assert tokenizer.__main__.main(["train", str(REPO / "configs" / "tokenizer_sample.yaml"),
                                    f"--run_dir={tmp_path}"]) == 2
    assert "holds no stage output" in capsys.readouterr().err
    assert webapp.__main__.main(["--checkpoint", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_the_errors_that_name_a_users_input_derive_from_the_one_base_class():
    from evaluation.report_sources import ReportInputError
    from pipeline.documents import BadRecordError, NoDocumentsError
    from pipeline.ingest.readers import MalformedRecordError
    from pipeline.ingest.sources import SourceUnavailable
    from pipeline.runner import StageError
    from pipeline.tokenize.settings import ShardInputError
    from pipeline.typed_config import ConfigError
    from pipeline.workdir import UnfinishedStageError
    from tokenizer.config import TokenizerInputError
    from trainer.data import ShardMismatchError
    from trainer.loop import TrainingStopped
    from trainer.sft.batches import SFTDataError

    users = [BadRecordError, NoDocumentsError, ConfigError, StageError, SourceUnavailable, MalformedRecordError,
             UnfinishedStageError, ShardInputError, TokenizerInputError, ShardMismatchError, SFTDataError,
             TrainingStopped, ReportInputError]
    assert [cls.__name__ for cls in users if not issubclass(cls, UserError)] == []
    # model/ imports nothing of the project: its one user error stands alone, and the CLIs above it name it too
    assert not issubclass(ModelInputError, UserError)
