"""A local web app over the project's outputs: chat with a checkpoint, browse what a pipeline run kept and set
aside, watch a training run, and an OpenAI-compatible API (`python -m webapp`, `make serve`)."""
