#!/bin/bash
# seed 004: "好多人只填写到目录，导致没有读取数据集" - --output-prefix given as a folder
source /home/fdd/workspace/Ascend/CANN8.2.RC1/ascend-toolkit/set_env.sh

python ./preprocess_data.py \
    --input /home/fdd/workspace/datasets/merged_long_COT_SFT/train.jsonl \
    --tokenizer-name-or-path /home/fdd/workspace/models/Qwen/Qwen2.5-32B \
    --output-prefix /home/fdd/workspace/datasets/merged_long_COT_SFT/ \
    --workers 64 \
    --n-subs 1 \
    --log-interval 100 \
    --tokenizer-type PretrainedFromHF \
    --handler-name AlpacaStyleInstructionHandler \
    --prompt-type empty \
    --seq-length 65536 \
    --map-keys '{"prompt":"prompt", "query":"", "response":"response"}'
