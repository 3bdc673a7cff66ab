"""Research notebooks for 「公部門人工智慧規範架構」 (public-sector AI governance framework).

Public entry points::

    from analysis import load_frame, inventories
    frame = load_frame()
    result = inventories.load("study")      # canonical cases + standardization report
"""

from . import timings

timings.mark("package")  # in a report's kernel: what is imported from here on is the report's

from .errors import AnalysisError, InputError  # noqa: E402
from .frame import Frame, load_frame  # noqa: E402

__all__ = ["AnalysisError", "InputError", "Frame", "load_frame"]
__version__ = "0.1.0"
