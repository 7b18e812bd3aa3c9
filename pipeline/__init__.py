"""Staged datatrove pipelines that turn raw Hindi text into clean, accounted-for training documents."""
