"""One screen per step of the guided setup, each with its ``.tcss`` beside it."""
