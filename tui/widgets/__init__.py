"""Widgets shared by several steps: the step bar, the CLI hint line and the findings panel."""
