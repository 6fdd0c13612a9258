"""Evaluation the way the benchmarks score it: multiple choice, generative or log-likelihood.

`evaluate(model_path, suite, device)` is the entry point; the modules below it load the
questions, format prompts, generate or score, extract answer letters and compute the
accuracy with its 95% interval.
"""
