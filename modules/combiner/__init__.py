"""LoRA block-weight combiner: exact per-block overlap maths, scaling policies, compatibility verdicts,
Inspire block vectors, a readable report and saved configuration sets.

`engine.combine` is the entry point; `analysis.LoraAnalyzer` supplies each LoRA's per-block energies and
the pairwise per-block inner products (from the low-rank factors, cached per file version).
"""
