"""What to run: the pydantic ``Preset`` (single source of truth), model catalogue and parallel plans.

Pure core: no Textual, no Rich.
"""
