"""The three pages in a real headless Chromium (the distribution's `chromium` + `chromium-driver`, driven by
Selenium) against the session's server: chat in Devanagari and Latin with a stop button, the data page down to
one rejected document, the training page refreshing while the log grows. Screenshots go to the test's tmp_path."""

import shutil
from pathlib import Path

import pytest

from model.chat import DEFAULT_SAMPLING
from tests.webapp_helpers import wait_for
from trainer.logger import RunLog

CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("no Chromium: install the distribution's chromium and chromium-driver (apt-get install "
                    "chromium chromium-driver) to run the page tests")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def until(driver, condition, what: str, timeout: float = 30):
    """Wait for `condition(driver)`; elements the page re-renders meanwhile are looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(condition, f"timed out waiting for {what}")


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def finished_replies(driver) -> list[dict]:
    """The model's finished replies, read in one go (the page re-renders the conversation after each)."""
    return driver.execute_script("return [...document.querySelectorAll('.message.assistant[data-finish]')]"
                                 ".map(m => ({finish: m.dataset.finish, text: m.textContent}))")


def send(driver, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = css(driver, "#input")[0]
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def set_field(driver, field: str, value: str) -> None:
    box = css(driver, f"#{field}")[0]
    box.clear()
    box.send_keys(value)


def test_the_chat_page_streams_replies_to_devanagari_and_latin_and_stops(browser, served, tmp_path):
    health = lambda: served.server.request("GET", "/health")[1]["queue"]  # noqa: E731
    browser.get(served.server.url + "/")
    until(browser, lambda d: css(d, "#model-name")[0].text == "tiny", "the model's name in the header")
    defaults = [str(DEFAULT_SAMPLING.temperature), str(DEFAULT_SAMPLING.top_k), str(DEFAULT_SAMPLING.top_p)]
    until(browser, lambda d: [css(d, f"#{f}")[0].get_property("value") for f in ("temperature", "top_k", "top_p")]
          == defaults, "the project's sampling defaults in the settings")
    set_field(browser, "seed", "1")
    send(browser, "भारत की राजधानी क्या है?")
    until(browser, lambda d: len(finished_replies(d)) == 1, "the reply to a Devanagari message")
    send(browser, "kal movie dekhne chalein?")
    until(browser, lambda d: len(finished_replies(d)) == 2, "the reply to a romanised message")
    replies = finished_replies(browser)
    assert all(r["finish"] in ("stop", "length") for r in replies)
    assert all(r["text"].strip() for r in replies)
    assert [u.text for u in css(browser, ".message.user")] == ["भारत की राजधानी क्या है?", "kal movie dekhne chalein?"]
    assert css(browser, "#conversation-list li.current")[0].text.startswith("भारत की राजधानी")
    browser.save_screenshot(str(tmp_path / "chat.png"))

    cancelled = health()["cancelled"]
    set_field(browser, "temperature", "0")  # greedy: runs to the token limit (see test_webapp.open_stream)
    set_field(browser, "max_tokens", "1900")
    send(browser, "एक लंबी कहानी सुनाइए")
    until(browser, lambda d: len(css(d, ".message.assistant")) == 3 and css(d, ".message.assistant")[-1].text,
          "the long reply to start streaming")
    css(browser, "#stop")[0].click()
    until(browser, lambda d: finished_replies(d)[-1]["finish"] == "stopped", "the stopped reply")
    wait_for(lambda: health()["cancelled"] > cancelled and not health()["running"], what="the server to stop")
    assert (tmp_path / "chat.png").stat().st_size > 10_000
    assert console_errors(browser) == []


def test_the_data_page_shows_the_stage_cards_and_opens_a_rejected_document(browser, served, tmp_path):
    browser.get(served.server.url + "/runs/sample")
    until(browser, lambda d: css(d, "#stage-02_filter"), "the filter stage's card")
    assert [s.get_attribute("id") for s in css(browser, "section.stage")] == [
        "stage-01_ingest", "stage-02_filter", "stage-03_dedup"]
    until(browser, lambda d: d.execute_script(
        "return [...document.images].length > 0 && [...document.images].every(i => i.complete && i.naturalWidth)"),
        "the card plots to load")
    css(browser, "#stage-02_filter a.show-reason[data-reason=not_hindi]")[0].click()
    until(browser, lambda d: css(d, "#documents .document"), "the documents set aside as not_hindi")
    assert all("not_hindi" in row.text for row in css(browser, "#documents .document"))
    css(browser, "#documents .open-document")[0].click()
    until(browser, lambda d: css(d, "#document")[0].get_attribute("open") is not None, "the document dialog")
    assert css(browser, "#document-title")[0].text == "sample_docs.jsonl line 32"
    assert "Set aside: not_hindi" in css(browser, "#document-why")[0].text
    assert "kal movie dekhne" in css(browser, "#document-text")[0].text
    browser.save_screenshot(str(tmp_path / "data.png"))
    css(browser, "#close-document")[0].click()

    search = css(browser, "#search")[0]  # search the kept documents of the dedup stage, in Devanagari
    css(browser, "#stage option[value='03_dedup']")[0].click()
    search.send_keys("गंगा\n")
    until(browser, lambda d: css(d, "#documents .document") and "गंगा" in css(d, "#documents")[0].text,
          "kept documents that mention गंगा")
    assert all("गंगा" in row.text for row in css(browser, "#documents .document .snippet"))
    assert console_errors(browser) == []


def test_the_training_page_plots_the_log_and_follows_it_as_the_run_writes(browser, served, tmp_path):
    browser.get(served.server.url + "/train/tiny")
    until(browser, lambda d: css(d, "#status")[0].get_attribute("data-steps") == "12", "the 12 logged steps")
    points = {c.get_attribute("id"): int(c.get_attribute("data-points") or 0) for c in css(browser, "canvas")}
    assert points == {"chart-loss": 12 + 2, "chart-lr": 12, "chart-bpb": 2, "chart-speed": 12}  # 2 evals

    log = RunLog(served.out_dir, enabled=True, fsync_every=1, tensorboard=False)  # the trainer's own writer
    for step in (13, 14, 15):
        log.write({"step": step, "loss": 4.0, "lr": 1e-3, "tokens_per_s": 2000.0, "tokens": 512 * step})
    log.write({"event": "eval", "step": 15, "val_loss": 4.1, "val_bpb": 1.5})
    log.close()
    until(browser, lambda d: css(d, "#status")[0].get_attribute("data-steps") == "15", "the page to read new steps")
    until(browser, lambda d: css(d, "#chart-bpb")[0].get_attribute("data-points") == "3", "the new evaluation")

    (served.out_dir / "report.html").write_text("<!doctype html><title>report of tiny</title><h1>Report</h1>")
    until(browser, lambda d: css(d, "#report")[0].is_displayed(), "the report to appear once written")
    browser.save_screenshot(str(tmp_path / "train.png"))
    browser.switch_to.frame(css(browser, "#report-frame")[0])
    assert css(browser, "h1")[0].text == "Report"
    browser.switch_to.default_content()
    assert console_errors(browser) == []


def test_the_data_page_shows_added_copies_as_added_not_as_set_aside(browser, served):
    browser.get(served.server.url + "/runs/sample")
    until(browser, lambda d: css(d, "#stage-02_filter"), "the stage cards")
    set_aside, added = browser.execute_script(
        "const stage = {stage: '05_hinglish', set_aside_by_filter: {},"
        " added_by_step: {romanize: {romanized_copy: 12}}};"
        "return [reasonsTable(stage).textContent, addedSection(stage).map((e) => e.textContent).join(' ')];")
    assert "romanized_copy" not in set_aside and set_aside == "Nothing set aside."
    assert added.startswith("Added, by step") and "romanized_copy" in added and "12" in added
