#!/usr/bin/env bash
# The trainer on one GPU (H100 or H200), in under 8 minutes, with nothing downloaded:
#   1. SFT tokens/s of the `sft` recipe against TRL's SFTTrainer defaults, as a ratio in
#      one process, with MFU and peak memory (bench/trainer_throughput.py);
#   2. the evaluation's generated tokens/s with vLLM and with transformers
#      (bench/eval_throughput.py).
# Both use a randomly initialised model of Qwen3-1.7B's shape (28 layers, 8 KV heads,
# head dim 128, vocabulary 151,936), built from its config on the spot.
#
#   bench/gpu_check.sh            # the GPU check
#   bench/gpu_check.sh --tiny     # the same steps with the toy model, on the CPU (a dry run)
#
# PYTHON picks the interpreter (default: python). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export TRANSFORMERS_NO_ADVISORY_WARNINGS=1 HF_DATASETS_DISABLE_PROGRESS_BARS=1

if [[ "${1:-}" == "--tiny" ]]; then
  model=toy device=cpu
  sft=(--steps 20 --batch-size 8 --max-length 128 --rows 400)
  gen=(--prompts 16 --prompt-words 40 --new-tokens 16)
else
  model=qwen3-1.7b device=cuda
  sft=(--steps 30 --batch-size 8 --max-length 1024 --rows 1000)
  gen=(--prompts 256 --prompt-words 200 --new-tokens 512)
  "$PYTHON" -c "import torch; assert torch.cuda.is_available(), 'no GPU: use --tiny'; print(torch.cuda.get_device_name())"
fi
start=$SECONDS
echo "== SFT throughput: kintern sft recipe vs TRL defaults ($model, $device)"
"$PYTHON" bench/trainer_throughput.py --model "$model" --device "$device" "${sft[@]}"
echo "== evaluation generation throughput ($model, $device)"
"$PYTHON" bench/eval_throughput.py --model "$model" --device "$device" "${gen[@]}"
echo "== done in $((SECONDS - start)) s"
