"""The error for what a user gave the model commands: a checkpoint, a tokenizer, an option, a conversation or a
held-out file that cannot be used. Its message says what to change; command lines print it as one line and the
web app answers it with a 4xx. Anything else is a bug and keeps its traceback."""


class ModelInputError(ValueError):
    """A user's input to the model commands cannot be used; the message names it and the fix."""
