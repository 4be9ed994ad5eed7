"""The Textual front end. It only presents the core; nothing imports it but ``cli._open_tui``."""
