"""Exact per-block weight-change energy of LoRA files and per-block inner products between LoRAs.

`deltas.py` documents the maths per adapter, `stats.py` the summary statistics, `gram.py` the
pairing of modules between two LoRAs.
"""

from .deltas import Delta, Unmeasurable
from .energy import block_energies, compute_stats, stats_from_factors
from .factors import LoraFactors, ModuleEntry, group_modules, load_factors
from .gram import block_gram, factor_gram
from .reader import FileChangedError, TensorReader
from .stats import gini, summarise
from .targets import Target, target_of_module

__all__ = [
    "Delta", "FileChangedError", "LoraFactors", "ModuleEntry", "Target", "TensorReader", "Unmeasurable",
    "block_energies", "block_gram",
    "compute_stats", "factor_gram", "gini", "group_modules", "load_factors", "stats_from_factors", "summarise",
    "target_of_module",
]
