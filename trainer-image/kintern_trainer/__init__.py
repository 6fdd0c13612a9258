"""kintern_trainer: what runs inside each TrainingRun's Job (and as a local process).

Entry point: `cli.train_main(request_path) -> exit code` (`kintern train`), which reads a
RunRequest and hands it to `runner.execute`. Around it: `recipes` (sft, dpo, grpo, custom
on TRL), `evaluation` (multiple choice, generative or log-likelihood), `decontam`,
`diagnosis`, `record` (the result protocol's files) and `toy` (a tiny model and task for
tests and the quickstart). Heavy packages (torch, transformers, TRL) load lazily.
"""
