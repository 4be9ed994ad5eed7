#!/bin/bash
# seed 003, 3.1: "注意：对该qwen2.5-7b模型，此处推荐的切分配置是tp1pp4" - the conversion done as the table recommends
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
