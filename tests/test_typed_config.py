from pathlib import Path

import pytest

from pipeline.config import RunConfig, load_run_config, local_sources
from pipeline.typed_config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_yaml_keys_fill_the_dataclass_and_defaults_fill_the_rest(tmp_path):
    path = write(tmp_path, "run: demo\nsources: [{name: a, kind: jsonl, path: x}]\nexecutor: {tasks: 4}\n")
    config = load_config(RunConfig, path)
    assert config.run == "demo"
    assert config.executor.tasks == 4
    assert config.executor.kind == "local"
    assert config.stages.ingest.devanagari_digits == "keep"


def test_an_unknown_key_is_an_error_naming_the_key_and_the_file(tmp_path):
    path = write(tmp_path, "executor: {taks: 4}\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: unknown key executor\.taks"):
        load_config(RunConfig, path)


def test_a_wrong_type_or_choice_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="executor.tasks must be int"):
        load_config(RunConfig, write(tmp_path, "executor: {tasks: four}\n"))
    with pytest.raises(ConfigError, match="devanagari_digits must be one of"):
        load_config(RunConfig, write(tmp_path, "stages: {ingest: {devanagari_digits: roman}}\n"))


def test_dotted_overrides_are_parsed_as_yaml_values(tmp_path):
    path = write(tmp_path, "sources: [{name: a, kind: jsonl, path: x}]\n")
    config = load_config(RunConfig, path, ["executor.tasks=3", "stages.ingest.strict=true"])
    assert config.executor.tasks == 3
    assert config.stages.ingest.strict is True
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(RunConfig, path, ["executor.tasks"])


def test_input_paths_become_sources_by_file_ending_and_rename_the_run(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl.gz").write_bytes(b"")
    (tmp_path / "data" / "b.parquet").write_bytes(b"")
    sources = local_sources([str(tmp_path / "data")])
    assert [(s.name, s.kind) for s in sources] == [("data_jsonl", "jsonl"), ("data_parquet", "parquet")]
    config = load_run_config(str(write(tmp_path, "run: base\n")), inputs=[str(tmp_path / "data")])
    assert config.run.startswith("base-data_jsonl-data_parquet-")


def test_two_inputs_with_the_same_folder_name_get_their_own_run_and_cards(tmp_path):
    for parent in ("a", "b"):
        (tmp_path / parent / "input").mkdir(parents=True)
        (tmp_path / parent / "input" / "docs.jsonl").write_bytes(b"")
    config_file = str(write(tmp_path, "run: base\n"))
    first, second = (load_run_config(config_file, inputs=[str(tmp_path / p / "input")]) for p in ("a", "b"))
    assert first.run != second.run and first.run.startswith("base-input-")
    assert load_run_config(config_file, inputs=[str(tmp_path / "a" / "input")]).run == first.run, "stable"


def test_a_missing_input_or_a_run_without_sources_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        local_sources([str(tmp_path / "nope")])
    with pytest.raises(ConfigError, match="no sources"):
        load_run_config(str(write(tmp_path, "run: base\n")))


def test_a_float_written_without_a_dot_is_read_as_a_float():
    from trainer.config import TrainConfig

    config = load_config(TrainConfig, None, ["lr=3e-4", "min_lr=1E-5"])
    assert (config.lr, config.min_lr) == (3e-4, 1e-5)
    with pytest.raises(ConfigError, match="lr must be float"):
        load_config(TrainConfig, None, ["lr=fast"])


def test_a_mapping_field_refuses_a_value_that_is_not_a_mapping_naming_the_key(tmp_path):
    path = write(tmp_path, "run: demo\n")
    with pytest.raises(ConfigError, match=r"stages\.dedup\.rehydration_weights must be a mapping, got 5"):
        load_config(RunConfig, path, ["stages.dedup.rehydration_weights=5"])
    with pytest.raises(ConfigError, match=r"executor\.slurm\.sbatch_args must be a mapping"):
        load_config(RunConfig, path, ["executor.slurm.sbatch_args=[a, b]"])
    config = load_config(RunConfig, path, ["stages.dedup.rehydration_weights={1: 1, 3: 2}"])
    assert config.stages.dedup.rehydration_weights == {1: 1, 3: 2}


def test_a_typed_mapping_checks_its_keys_and_values():
    from dataclasses import dataclass, field

    @dataclass
    class Weights:
        by_size: dict[int, float] = field(default_factory=dict)

    assert load_config(Weights, None, ["by_size={1: 2, 5: 3}"]).by_size == {1: 2.0, 5: 3.0}
    with pytest.raises(ConfigError, match=r"by_size\[5\] must be float"):
        load_config(Weights, None, ["by_size={1: 2, 5: many}"])
