"""How cssim says things, in either language: translations, numbers and money, names of parameters,
metrics and levers, the glossary, chart words and fonts, tables and error texts.

This floor sits above :mod:`cssim.model` and below everything else: ``analysis`` and ``data`` take their
words from here, never from the pages of :mod:`cssim.reporting`.
"""
