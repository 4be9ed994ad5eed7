"""Getting what a job needs onto the machine: the model, its converted weights, its preprocessed data.

Hand-run setups lose most of their time here: ``modelscope download`` by hand, ``convert_weight.py`` with a
directory where a file name was expected, ``--output-prefix`` given as a folder, a dataset that was an
HTML page. This package is pure core (no Textual): downloads as iterators of progress events, exact
commands per framework, and checks of what those commands produced.
"""
