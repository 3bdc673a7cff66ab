"""Coders: one interface, three ways of coding cases.

* :class:`RuleCoder` (:mod:`.rules`) — the frame's bilingual ``coding_vocabulary``;
  transparent, every decision lists its terms.
* :class:`TrainedCoder` (:mod:`.trained`, features in :mod:`.features`) — TF-IDF and
  calibrated linear models trained on reference labels.
* :class:`LLMCoder` (:mod:`.llm`) — the study's own prompt, sent to a chat-completions
  endpoint.

Every coder takes a canonical case table and returns codes (:data:`CODE_COLUMNS`,
:mod:`.base`). This subpackage knows the frame and the canonical table only: which coder
codes which inventory, and how well, is decided above it (:mod:`analysis.agreement`,
:mod:`analysis.coding`).
"""

from .base import CODE_COLUMNS, CODERS, Coder, CodingError
from .llm import LLMCoder, LLMConfig, LLMError
from .rules import RuleCoder
from .trained import ModelSpec, TrainedCoder

__all__ = [
    "CODE_COLUMNS",
    "CODERS",
    "Coder",
    "CodingError",
    "LLMCoder",
    "LLMConfig",
    "LLMError",
    "ModelSpec",
    "RuleCoder",
    "TrainedCoder",
]
