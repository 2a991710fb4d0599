"""deconflict: the deconfliction line as software."""

__version__ = "0.1.0"
