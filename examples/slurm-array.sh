#!/bin/bash
# A Slurm array: 8 tasks, each building one shard of the same manifest.
#   sbatch examples/slurm-array.sh          (from the folder holding batch.yaml and the books)
# Slurm numbers array tasks from 0 here; bookmaker's shards count from 1.
#SBATCH --job-name=bookmaker-batch
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=5G
#SBATCH --time=02:00:00
#SBATCH --output=reports/slurm-%A-%a.log
set -euo pipefail
mkdir -p reports
export BOOKMAKER_CACHE_DIR="$PWD/.bookmaker-cache"   # on the shared filesystem: safe for concurrent writers
shard="$((SLURM_ARRAY_TASK_ID + 1))/${SLURM_ARRAY_TASK_COUNT}"
exec bookmaker batch batch.yaml --jobs "${SLURM_CPUS_PER_TASK}" --shard "$shard" \
    --report "reports/shard-$((SLURM_ARRAY_TASK_ID + 1)).jsonl" --max-seconds 600 --max-memory 2G
