"""Command lines print a user's error as one line (exit 2), and let a bug keep its traceback: a built-in
KeyError or ValueError from inside is never dressed up as an "error:" line."""

import pytest

import model.__main__
import pipeline.__main__
import tokenizer.__main__
import trainer.__main__
from tests.conftest import REPO, SAMPLE_CONFIG


def bug(*args, **kwargs):
    raise KeyError("a bug")


def value_bug(*args, **kwargs):
    raise ValueError("a bug")


@pytest.mark.parametrize("raise_it", [bug, value_bug])
def test_a_bug_keeps_its_traceback_in_every_command_line(monkeypatch, tmp_path, raise_it):
    cases = [
        (pipeline.__main__, "run_stages", ["run", str(SAMPLE_CONFIG), "--workdir", str(tmp_path)]),
        (tokenizer.__main__, "cmd_check", ["check", str(tmp_path), "--model", "x.model"]),
        (model.__main__, "cmd_info", ["info"]),
        (trainer.__main__, "Trainer", [str(REPO / "configs" / "train_tiny.yaml")]),
    ]
    for module, name, argv in cases:
        monkeypatch.setattr(module, name, raise_it)
        with pytest.raises((KeyError, ValueError), match="a bug"):
            module.main(argv)


def test_a_user_error_is_one_line(capsys, tmp_path):
    assert model.__main__.main(["generate", "--checkpoint", str(tmp_path), "--prompt", "x"]) == 2
    assert "is not a checkpoint" in capsys.readouterr().err
    assert pipeline.__main__.main(["run", str(SAMPLE_CONFIG), "--stage", "nonsense"]) == 2
    assert "no stage 'nonsense'" in capsys.readouterr().err
