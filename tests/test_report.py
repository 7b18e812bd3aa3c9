"""The report of a training run: the demo's chain in small (the bundled sample ingested, a tokenizer and shards of
it, a short training, held-out tasks from its val documents), its page in Markdown and HTML, and the page in a real
headless Chromium with every image loaded and no console error."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.__main__ import main as evaluation_main
from evaluation.report import PROMPTS
from pipeline.tokenize.settings import ShardConfig
from pipeline.tokenize.shards import write_shards
from pipeline.typed_config import load_config
from tests.conftest import REPO, SAMPLE_CONFIG
from tokenizer.config import SampleConfig, TokenizerConfig
from tokenizer.config import TrainConfig as TokenizerTrainConfig
from tokenizer.train import train_tokenizer
from trainer.config import TrainConfig
from trainer.loop import Trainer

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    # its own process: the executor forks its workers, which is safe only where no other library has started threads
    subprocess.run([sys.executable, "-m", "pipeline", "run", str(SAMPLE_CONFIG), "--stage", "ingest",
                    "--workdir", str(root / "work"), "--set", f"cards_dir={root / 'cards'}"],
                   check=True, capture_output=True, cwd=REPO)
    ingested = str(root / "work" / "sample" / "01_ingest" / "output")
    tokenizer = train_tokenizer(TokenizerConfig(out=str(root / "tok"), sample=SampleConfig(inputs=[ingested]),
                                                train=TokenizerTrainConfig(vocab_size=1000, hard_vocab_limit=False)))
    write_shards(ShardConfig(inputs=[ingested], out=str(root / "shards"), val_fraction=0.3), tokenizer)
    config = load_config(TrainConfig, REPO / "configs" / "train_tiny.yaml",
                         [f"data_dir={root / 'shards'}", f"out_dir={root / 'run'}", "tensorboard=false",
                          "max_steps=20", "eval_every=10", "checkpoint_every=10", "warmup_steps=4"])
    Trainer(config, resume=False).run()
    assert evaluation_main(["make-tasks", "--val-shards", str(root / "shards"), "--out", str(root / "tasks")]) == 0
    assert evaluation_main(["report", str(root / "run"), "--tasks", str(root / "tasks"),
                            "--cards", str(root / "cards")]) == 0
    return root / "run"


def test_the_report_shows_data_tokenizer_training_evaluation_and_samples(sample_run):
    text = (sample_run / "report.md").read_text(encoding="utf-8")
    for heading in ("## Data", "## Tokenizer", "## Training", "## Evaluation", "## Samples"):
        assert heading in text
    assert "[01_ingest](../cards/sample/01_ingest.md)" in text  # the stage links to its card
    assert (sample_run / "../cards/sample/01_ingest.md").exists()
    assert all(prompt in text for prompt in PROMPTS)
    figures = json.loads((sample_run / "report" / "evaluation.json").read_text())
    latest = figures["latest"]
    assert set(latest["texts"]) == {"heldout_hi", "heldout_hinglish"}
    assert latest["choices"]["next_sentence_hi"]["chance"] == 0.25 and latest["choices"]["next_sentence_hi"]["items"]
    assert f"{latest['texts']['heldout_hi']['bits_per_byte']:.4f}" in text
    assert len(list((sample_run / "report").glob("*.png"))) == 4


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="no chromium + chromium-driver installed (apt-get "
                    "install chromium chromium-driver; .ci/run installs them)")
def test_the_report_opens_in_headless_chromium_with_every_image_loaded_and_no_console_error(sample_run):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # the system's driver, no download
    try:
        driver.get((sample_run / "report.html").as_uri())
        images = driver.execute_script(
            "return Array.from(document.images, i => [i.alt, i.complete && i.naturalWidth > 0])")
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        title = driver.title
    finally:
        driver.quit()
    assert len(images) == 4 and all(loaded for _, loaded in images), images
    assert errors == []
    assert title == "Training run run"
