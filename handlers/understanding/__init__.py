"""Free text to a command, a question about an account, or a clarifying question (issue 10).

`offline` is the deterministic step over phrases.yaml; `model` lets a configured chat model choose
within the same validation; `converse` is what dispatch calls for text that is not a strict command.
"""
