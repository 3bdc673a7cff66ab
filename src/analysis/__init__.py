"""Research notebooks for 「公部門人工智慧規範架構」 (public-sector AI governance framework).

Public entry points::

    from analysis import load_frame, inventories
    frame = load_frame()
    result = inventories.load("study")      # canonical cases + standardization report
"""

from .errors import AnalysisError, InputError
from .frame import Frame, load_frame

__all__ = ["AnalysisError", "InputError", "Frame", "load_frame"]
__version__ = "0.1.0"
