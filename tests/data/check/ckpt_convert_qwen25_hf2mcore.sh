#!/bin/bash
# conversion as the tutorial recommends (tp1 pp4), seed 003
source /usr/local/Ascend/ascend-toolkit/set_env.sh

python convert_ckpt.py \
       --use-mcore-models \
       --model-type GPT \
       --load-model-type hf \
       --save-model-type mg \
       --target-tensor-parallel-size 1 \
       --target-pipeline-parallel-size 4 \
       --add-qkv-bias \
       --load-dir /apps/hw/weights/Qwen2.5-7B/ \
       --save-dir ./model_weights/qwen2.5_mcore/ \
       --tokenizer-model /apps/hw/weights/Qwen2.5-7B/tokenizer.json \
       --model-type-hf llama2 \
       --params-dtype bf16
