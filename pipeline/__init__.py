"""Staged datatrove pipelines that turn raw Hindi text into clean, accounted-for training documents."""

from pipeline.task_logging import look_up_library_folders_once

look_up_library_folders_once()
